"""The command line: encode, decode and info on real files."""
import subprocess
import sys

import numpy as np
from PIL import Image

import cyjpeg
from cyjpeg.cli import main
from conftest import pillow_decode, synthetic_image


def test_encode_decode_info_commands(tmp_path, capsys):
    source = tmp_path / "in.png"
    Image.fromarray(synthetic_image(48, 64)).save(source)
    jpeg = tmp_path / "out.jpg"
    assert main(["encode", str(source), str(jpeg), "--quality", "80", "--subsampling", "4:4:4", "--optimize"]) == 0
    line = capsys.readouterr().out
    assert "64x48" in line and "PSNR" in line
    assert pillow_decode(jpeg.read_bytes()).shape == (48, 64, 3)
    assert cyjpeg.info(jpeg.read_bytes()).subsampling == "4:4:4"

    png = tmp_path / "back.png"
    assert main(["decode", str(jpeg), str(png)]) == 0
    assert np.array_equal(np.asarray(Image.open(png)), cyjpeg.decode(jpeg.read_bytes()))

    assert main(["info", str(jpeg)]) == 0
    assert "64x48 RGB 4:4:4 sequential" in capsys.readouterr().out


def test_bad_input_is_an_error_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xdb\x00")
    assert main(["decode", str(bad), str(tmp_path / "x.png")]) == 1
    assert "cyjpeg: error:" in capsys.readouterr().err
    assert main(["info", str(bad)]) == 1


def test_python_dash_m(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cyjpeg", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("cyjpeg ")

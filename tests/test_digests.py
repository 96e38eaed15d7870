"""Encoded bytes are frozen: SHA-256 digests of encodes made by main's encoder before the speed work (issue 5).

Speed work (SIMD clones, threads, restructured loops) must not change a single byte. The digests were computed
from the baseline encoder, which tests/test_encoder.py checks byte for byte against Pillow for the standard
settings; if a deliberate format change ever alters them, recompute them and say why in the commit.
"""
import hashlib

import pytest

import cyjpeg
from conftest import KODAK, load_rgb, synthetic_image

# ((height, width, channels), encode options, digest); pixels from synthetic_image(..., seed=height * 7 + width).
SYNTHETIC = [
    ((1, 1, 3), {'quality': 75, 'subsampling': '4:4:4'}, "6176e01260674579821c6fda378b322d5fd04041fdea5974ccaab7d2b99aa685"),
    ((1, 1, 3), {'quality': 75, 'subsampling': '4:2:2'}, "f654ca44ca229caedbe9d36b19c505231a1414c46f2fb4e147d78d7fc865e4fc"),
    ((1, 1, 3), {'quality': 75, 'subsampling': '4:2:0'}, "82709f74c27b8ab8f44bff37629270c65f4010bbcb52185703b5bc430dd69cbe"),
    ((1, 1, 3), {'quality': 75, 'subsampling': '4:4:0'}, "11141b38bda7139dc68f60597d224177c95472e32898267984763cf17caa2051"),
    ((1, 1, 1), {'quality': 75}, "4d7660fa27ca01761e470187ddc7ed15f6708330bed9f4ccf300a7d8aa37a8bb"),
    ((7, 9, 3), {'quality': 75, 'subsampling': '4:4:4'}, "28b255f0bf4f0263e5b709329f717f0a83e7fa535e5e6e6409aaa4fd71064826"),
    ((7, 9, 3), {'quality': 75, 'subsampling': '4:2:2'}, "47f3965874b06cf412e68a06daf6c2f6fdb067dd86fd60668bfebd80e9d04730"),
    ((7, 9, 3), {'quality': 75, 'subsampling': '4:2:0'}, "3cf5c615a9b3a9a99d55430fdab2caaf5ec7c680f498d4722e006178c1c2088e"),
    ((7, 9, 3), {'quality': 75, 'subsampling': '4:4:0'}, "712b1e72dc626f3d3a67d4516d0427660075e752891779df06324a564a96aaba"),
    ((7, 9, 1), {'quality': 75}, "8fa16a75887ada820f8591596903b14707a7637167aa7116fea3e6a231bd3099"),
    ((17, 33, 3), {'quality': 75, 'subsampling': '4:4:4'}, "a0e473fef0cba193e508e97596af5d2102df3a25a9aa3317c3e7606c94abc4aa"),
    ((17, 33, 3), {'quality': 75, 'subsampling': '4:2:2'}, "bbf8d1b6209526dc40c1b65cd5a9aa045130d34cc80b5fc92fbf2b780f2e7661"),
    ((17, 33, 3), {'quality': 75, 'subsampling': '4:2:0'}, "5edcdf257c0c12eb5a4ce0467370d13c77f086ca58b40bb81213c7157075baf5"),
    ((17, 33, 3), {'quality': 75, 'subsampling': '4:4:0'}, "2f441736fb9033e3793fc9b0ab7f80521f37cc1c7d1d7344d01c715417d0b7c0"),
    ((17, 33, 1), {'quality': 75}, "b4ff90df6a245f7cdc1ec120d3769072ec7ae0c64d9b6348b2ac3cb8afd12372"),
    ((258, 129, 3), {'quality': 75, 'subsampling': '4:4:4'}, "23c4914ee7ba80a5e86650b31b02029d29cc86a5e74006e55895dfa9d00d4e4f"),
    ((258, 129, 3), {'quality': 75, 'subsampling': '4:2:2'}, "79fe79652e71eeab9fa45829138ef4856c8df298e20c13b6693908ca156bbc59"),
    ((258, 129, 3), {'quality': 75, 'subsampling': '4:2:0'}, "ca71b3677d2e7907ae93495b7988db529210d1bfa2f5d73d96cf66f81fc1a836"),
    ((258, 129, 3), {'quality': 75, 'subsampling': '4:4:0'}, "f7c79ec57ea80e76cd6a99d4932375464004df2417ba80c026c91195f6d0b590"),
    ((258, 129, 1), {'quality': 75}, "ac3fa1403f27dfeabd8030cb1138458a64fba78a508c28a10c4800da7def53aa"),
    ((1001, 3, 3), {'quality': 75, 'subsampling': '4:4:4'}, "8a4a3bd9b26821a86ffeedc2e59d24bf2101aca0308633f47e87bca7fe45d412"),
    ((1001, 3, 3), {'quality': 75, 'subsampling': '4:2:2'}, "4c48a91c373abc3395780531ab72ba74d5998b6b075e19028b89fe76d9b4ec23"),
    ((1001, 3, 3), {'quality': 75, 'subsampling': '4:2:0'}, "354c56bd85571ab2f0f8b2da7d82bc22c8016481cea3cc9bb1a565ce70c8dcc2"),
    ((1001, 3, 3), {'quality': 75, 'subsampling': '4:4:0'}, "c39a1627e2e0259cb4e9413ede08d1b4e9549930632e99d1ab92b7a028160325"),
    ((1001, 3, 1), {'quality': 75}, "cb9f3fce07d4b06a242c05e01104e034f14fe2f8b9a8735f64f37d25900c8da1"),
    ((200, 300, 3), {'quality': 75, 'subsampling': '4:4:4'}, "21a9e3341a626059bcd0e4fdb906315c22da08a0f5942b6688645ff2104c38ad"),
    ((200, 300, 3), {'quality': 75, 'subsampling': '4:2:2'}, "5a21c3cf06b86553236cb34a3ebc0fffe2641c5f6122a78bcb12fa45f081a7c5"),
    ((200, 300, 3), {'quality': 75, 'subsampling': '4:2:0'}, "11df497a3a21945aec4bb9cc176a934bf0c99acb03e47c0182d938ba6d525f52"),
    ((200, 300, 3), {'quality': 75, 'subsampling': '4:4:0'}, "5e127ba1571802681ca57bb27a272035709cc4f99434bdbe81740fe960545bfc"),
    ((200, 300, 1), {'quality': 75}, "0849bd3b6a29991f26f9be656b2051c84ada7350a1a3c88edd61f6a3b3f8bb45"),
    ((120, 170, 3), {'quality': 50}, "e886982ba6d876f026924377d19ef69e35e6bf6f38ebe3795dcc8e36c82fb68a"),
    ((120, 170, 3), {'quality': 90}, "46ebdbae85ec2175502a8eee3e8e2f1b3a47dc0ec897c0aa60ce052e89ac4e0b"),
    ((120, 170, 3), {'quality': 95}, "dc6bbcda3da41cf6ce4d046513b22df2d9aa46b3bbdbed9365f9a512d8289d0a"),
    ((120, 170, 3), {'optimize': True}, "9b17481175592ea629f5ad12be79f41fb81889caee3832cb5b3992fa0a3feb76"),
    ((120, 170, 1), {'optimize': True}, "dcea93940fa360ec27e569395a782b9784bdc890bb53397f6ad8200995eeff61"),
    ((120, 170, 3), {'restart_interval': 5}, "15deb74e476b6b5b7c89ea309122699076cb2be855137cf6dc90c3bbf4549406"),
    ((120, 170, 3), {'restart_interval': 3, 'optimize': True, 'subsampling': '4:2:2'}, "fb015311929fd3dbabd952ea46e833e6cbeaa807b36b449d11eb4d1320ed6ec0"),
]

# (Kodak photo, or "<photo>-gray" for its green channel as grayscale, options, digest).
KODAK_DIGESTS = [
    ("kodim01", {'quality': 75}, "8aa0023902420398f049b2d03b4a3dad0dca0c565de952bd1bd7292ffac50978"),
    ("kodim01", {'quality': 90, 'subsampling': '4:4:4'}, "26f9e13889c9860b1a00e10cb3df8aa4944589d99e80454cc886f65f614e8773"),
    ("kodim01", {'quality': 75, 'optimize': True}, "489457614a8c5be11b1b427f826854d5e7254f6075db6418a40cb2b380c205e8"),
    ("kodim01-gray", {'quality': 75}, "45f6008af89dfd10e19f5ee3f4b81a8036f4fa7d99135ba50a343f9960590db0"),
    ("kodim23", {'quality': 75}, "f3a8d912fc1cf7db51b2d3bbf869be794add0e7630a39f7a2b2c40ac2442453d"),
    ("kodim23", {'quality': 90, 'subsampling': '4:4:4'}, "c6cd91e1b1fbd427329b120d44c1e9e4bb7f1122521be2c0648c28be591cfeab"),
    ("kodim23", {'quality': 75, 'optimize': True}, "d9cb7057fb06d67b9aaa0c396cf115f0df626738d44155fb65288508d75295a5"),
    ("kodim23-gray", {'quality': 75}, "599727b02cd0f2e24336a250cc9f99f6600f18a2e9bdb0de2e907a8d91f5b804"),
]


@pytest.mark.parametrize("shape, options, digest", SYNTHETIC)
def test_synthetic_digest(shape, options, digest):
    height, width, channels = shape
    image = synthetic_image(height, width, channels, seed=height * 7 + width)
    assert hashlib.sha256(cyjpeg.encode(image, **options)).hexdigest() == digest


@pytest.mark.parametrize("name, options, digest", KODAK_DIGESTS)
def test_kodak_digest(name, options, digest):
    path = KODAK / (name.split("-")[0] + ".png")
    if not path.exists():
        pytest.skip(f"{path} not found")
    image = load_rgb(path)
    if name.endswith("-gray"):
        image = image[:, :, 1].copy()
    assert hashlib.sha256(cyjpeg.encode(image, **options)).hexdigest() == digest

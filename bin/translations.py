"""`make translations`: extract messages, update the vi and zh_CN catalogs, compile them."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.i18n_tools import ROOT, update_all  # noqa: E402

for folder in update_all():
    print(f"updated {folder.relative_to(ROOT)}")

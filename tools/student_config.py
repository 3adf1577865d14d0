"""Print the student variant of _config.yml: the same book with solutions hidden.

Used by `make student`; the instructor's build is the normal `make book`.
"""

from pathlib import Path

import yaml

root = Path(__file__).resolve().parents[1]
config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
config["title"] = config["title"] + " (student edition)"
config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
print(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))

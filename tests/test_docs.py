"""The README stands alone: every file it links or names in the repo is in the repo."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_readme_links_stay_inside_the_repo():
    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#\s]+)", text)  # [text](target)
    local = [t for t in targets if "://" not in t and not t.startswith("mailto:")]
    assert local, "the README links its design document and images"
    for target in local:
        assert not target.startswith(".."), f"{target} is outside the repo"
        assert (ROOT / target).exists(), f"README links {target}, which is not in the repo"
    assert "../shared" not in text
    assert "docs/design.md" in local

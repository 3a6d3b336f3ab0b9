"""`materiality run` with the default method imports neither SciPy nor scikit-learn: together they
took about four of the command's seconds, and only the clustering methods need them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from survey.db import create_db_engine, transaction
from survey.demo import create_demo

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
from cli import main
sys.argv = ["materiality", "run", "--assessment", "2020", "--out", sys.argv[1], "--db", sys.argv[2]]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"scipy", "sklearn"})
print("imported:", ",".join(heavy) or "none")
"""


def test_the_default_run_imports_no_scipy_or_scikit_learn(tmp_path, catalog):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_demo(session=session, catalog=catalog)
    engine.dispose()
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), url], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "imported: none" in done.stdout, done.stdout
    assert (out / "report.html").stat().st_size > 100_000


def test_the_clustering_methods_still_get_scikit_learn():
    from analysis.tiers import MaterialityTiers

    coordinates = [[4.5, 4.4], [4.4, 4.6], [2.1, 2.0], [2.3, 2.2], [3.2, 3.3]]
    tiers = MaterialityTiers(method="kmeans", random_state=0).fit(coordinates)
    assert list(tiers.tiers_) == ["high", "high", "material", "material", "material"]
    assert type(tiers.cluster_model_).__module__.startswith("sklearn.")

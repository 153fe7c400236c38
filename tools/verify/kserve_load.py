"""Load a model directory with KServe's own sklearn server model class and predict.

Run with the KServe venv's python (kserve==0.20.0, kserve-storage, scikit-learn==1.5.2):

    python kserve_load.py --sklearnserver-src DIR --model-dir DIR --expect ok|missing

DIR for --sklearnserver-src is the python/sklearnserver directory of a KServe source tree
at v0.20.0 (pipeline-model.sh passes KSERVE_SKLEARNSERVER): the class under test is imported
from there, upstream's own, not a copy. `--expect ok`: load() succeeds and two iris rows get two predictions
(setosa, virginica: [0, 2]). `--expect missing`: load() raises kserve's ModelMissingError.
Exit status 0 only when the expectation holds.
"""

import argparse
import os
import sys
import warnings

IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sklearnserver-src", required=True)
    p.add_argument("--model-dir", required=True)
    p.add_argument("--expect", choices=["ok", "missing"], required=True)
    a = p.parse_args()

    sys.path.insert(0, a.sklearnserver_src)
    import importlib.metadata

    import sklearn
    from kserve.errors import ModelMissingError
    from sklearnserver.model import SKLearnModel

    print(f"kserve {importlib.metadata.version('kserve')}, "
          f"scikit-learn {sklearn.__version__}, model class from "
          f"{sys.modules[SKLearnModel.__module__].__file__}")
    print(f"model dir {a.model_dir}: {sorted(os.listdir(a.model_dir))}")

    model = SKLearnModel("iris", a.model_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load()
            error = None
        except ModelMissingError as e:
            error = e
    for w in caught:
        print(f"warning on load: {w.category.__name__}: {w.message}")
    if not caught:
        print("warning on load: none")

    if a.expect == "missing":
        if error is None:
            print("FAIL: load() succeeded, expected ModelMissingError")
            return 1
        # repr: ModelMissingError(path) keeps the PosixPath, and its __str__ returns it as is
        # (str() raises TypeError in kserve 0.20.0).
        print(f"PASS: load() raised {error!r}")
        return 0

    if error is not None:
        print(f"FAIL: load() raised {error!r}")
        return 1
    inner = model._model  # noqa: SLF001 - what joblib.load returned
    print(f"loaded {type(inner).__module__}.{type(inner).__name__}, pickled with scikit-learn "
          f"{inner.__getstate__().get('_sklearn_version', '?')}")
    response = model.predict({"instances": IRIS_ROWS})
    print(f"predict {IRIS_ROWS} -> {response}")
    predictions = response["predictions"]
    if list(predictions) != [0, 2]:
        print("FAIL: expected predictions [0, 2]")
        return 1
    print("PASS: loaded by KServe's SKLearnModel and predicted [0, 2]")
    return 0


if __name__ == "__main__":
    sys.exit(main())

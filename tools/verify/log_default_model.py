"""The negative control of pipeline-model.sh: train.py's run, but logged with MLflow's default
serialization (no serialization_format argument; skops in MLflow 3), tagged with $WORKFLOW so
that the pipeline's own select_and_register.py picks it up.

Run with the MLflow venv's python; reads MLFLOW_TRACKING_URI, EXPERIMENT and WORKFLOW.
"""

import os

import mlflow
import mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

mlflow.set_experiment(os.environ["EXPERIMENT"])
x_train, x_test, y_train, y_test = train_test_split(
    *load_iris(return_X_y=True), test_size=0.3, random_state=0
)
with mlflow.start_run(tags={"workflow": os.environ["WORKFLOW"]}):
    model = LogisticRegression(C=1.0, max_iter=500).fit(x_train, y_train)
    mlflow.log_metric("accuracy", model.score(x_test, y_test))
    info = mlflow.sklearn.log_model(model, name="model")
    mlflow.set_tag("model_uri", info.model_uri)  # as train.py does
    print(f"logged with the default serialization: {info.model_uri}")

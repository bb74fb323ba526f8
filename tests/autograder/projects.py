"""Builds the fixture final projects: small repository trees written into a directory, the
way a student would push them, so every project check is tested against real files.

Each builder is ``def name(path: Path) -> Path``: it creates ``path`` (and parents) if
needed, writes the tree and returns ``path``. Nothing here is a git repository; the tests of
``autograder.repos`` turn a tree into one when they need to. Every tree is a few KB
(``large_file`` adds a *sparse* file, so it costs no disk).

- ``strong``: everything the rubric asks for. README with the five sections (>= 400 words,
  links, architecture diagram); package ``src/churn/`` (``features``, ``model``, ``api``,
  ``train``, ``monitoring``); the FastAPI app is ``churn.api:app`` (run from ``src/``, see
  ``STRONG_APP``) with ``GET /health`` and ``POST /predict`` (pydantic input, 422 on bad
  input, model version in the answer); MLflow tracking and registry calls in
  ``src/churn/train.py`` (only imported by training, never by the tests); ``STRONG_TESTS``
  pytest tests that pass with the grading image's packages only (the root ``conftest.py``
  puts ``src/`` on ``sys.path``); Dockerfile (pinned base, non-root user, HEALTHCHECK);
  ``.github/workflows/ci.yml`` (ruff + pytest + docker build on push and pull_request);
  ``infra/cloudformation.yaml`` clean for cfn-lint; JSON logging, statsd-style metrics and
  PSI/KS drift in ``src/churn/monitoring.py``.
- ``weak``: a two-line README and one notebook-ish script (``analise.py``), nothing else.
- ``failing_tests``: ``strong`` plus ``tests/test_regressao.py`` whose
  ``FAILING_TESTS`` tests fail (assertions), so pytest reports
  ``STRONG_TESTS`` passed and ``len(FAILING_TESTS)`` failed.
- ``missing_dependency``: ``strong`` plus a test module importing ``catboost`` (not in the
  grading image): pytest reports a collection error naming the missing module.
- ``api_never_starts``: ``strong`` whose ``churn/api.py`` loads ``models/modelo.joblib`` (not
  in the repository) at import time, so the app crashes on start-up; its API tests are
  removed, so the remaining tests (``API_NEVER_STARTS_TESTS``) still pass.
- ``hostile_tests``: ``strong`` plus ``tests/test_hostil.py``: one test opens network
  connections (it passes only if the network is reachable, so it fails in the sandbox) and
  one forks processes for ``FORK_BOMB_SECONDS`` seconds (a fork bomb bounded in time). The
  fork bomb runs only where ``/sys/fs/cgroup/pids.max`` is a number (a pids-limited
  container) and skips elsewhere, so collecting the fixture by mistake on a host is harmless.
- ``large_file``: ``strong`` plus a sparse ``dados/dump.bin`` of ``size_mb`` MB (default 200).
- ``leaked_secret``: ``strong`` plus ``src/churn/config.py`` with a hard-coded AWS access key.
- ``english_readme``: ``strong`` with an all-English README whose headings carry emoji and
  numbering ("## ⚙️ 3. Setup Instructions", "### 1) Installation", "## 📊 Results & Metrics");
  ``ENGLISH_HEADINGS`` maps each section to the heading it is found under.
- ``committed_mlruns``: a small clean package (``src/vendas/``, ``MLRUNS_TESTS`` passing tests,
  no API) whose only MLflow calls (tracking, no registry) are in the code cells of
  ``notebooks/experimentos.ipynb``, plus a committed ``mlruns/`` and ``mlartifacts/`` whose
  logged code copies are full of registry calls, monitoring and lint findings that must not
  count.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

STRONG_APP = "churn.api:app"  # uvicorn target, importable with src/ on sys.path
STRONG_APP_FILE = "src/churn/api.py"
STRONG_TESTS = 8  # tests in the strong project, all passing
API_TESTS = 3  # of which in tests/test_api.py
API_NEVER_STARTS_TESTS = STRONG_TESTS - API_TESTS
FAILING_TESTS = ("test_acuracia_minima", "test_colunas_esperadas")
FORK_BOMB_SECONDS = 20


def _write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


# -- the strong project -----------------------------------------------------------------------

STRONG_README = """
# Previsão de churn de clientes

Projeto final do curso de Machine Learning Engineering: um modelo que estima a chance de um
cliente cancelar o serviço, servido por uma API HTTP, empacotado em um contêiner e
monitorado em produção. O código segue o layout `src/` e cada etapa tem testes.

## Objetivo

O problema de negócio é reduzir o cancelamento de clientes de uma operadora. A equipe de
retenção recebe, todos os dias, a lista dos clientes com maior risco e liga para eles com
uma oferta. O modelo precisa ordenar bem os clientes (métrica principal: ROC AUC) e
responder em menos de 200 ms por requisição, porque a API é chamada pelo CRM no momento do
atendimento. Um modelo que erra pouco, mas demora, não serve para esse uso.

## Dados

Os dados vêm do conjunto público [Telco Customer Churn](https://www.kaggle.com/datasets/blastchar/telco-customer-churn),
com cerca de sete mil clientes e vinte colunas. O script `src/churn/features.py` valida o
esquema (tipos, nulos e faixas de valores) antes de criar as features, e o mesmo código é
usado no treino e na API, para que não haja diferença entre as duas etapas. A divisão entre
treino e teste é estratificada e feita antes de qualquer transformação, o que evita
vazamento de dados. Os testes usam dados sintéticos pequenos gerados com uma semente fixa.

## Como executar

Crie um ambiente virtual e instale as dependências:

```bash
python -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt
pytest                                  # testes de unidade e da API
python -m churn.train                   # treino, registrado no MLflow
uvicorn churn.api:app --app-dir src --port 8000
docker build -t churn-api . && docker run -p 8000:8000 churn-api
```

Para implantar na AWS, use o template de [CloudFormation](https://docs.aws.amazon.com/cloudformation/)
com `aws cloudformation deploy --template-file infra/cloudformation.yaml --stack-name churn`
e remova tudo com `aws cloudformation delete-stack --stack-name churn`.

## Arquitetura

```
dados brutos -> features.py -> train.py -> MLflow (runs + Model Registry, alias "champion")
                                              |
                          api.py (FastAPI) <--+   logs JSON, métricas statsd, drift PSI/KS
```

A API carrega o modelo com o alias `champion` do registro. Cada requisição gera um log em
JSON com o identificador da requisição, a versão do modelo e a latência; contadores e
histogramas seguem o formato statsd. Um job diário compara a distribuição das features com
a do treino usando PSI e o teste KS.

## Resultados

| Modelo | ROC AUC | F1 | p95 da API |
| --- | --- | --- | --- |
| Baseline (regressão logística) | 0,79 | 0,55 | 12 ms |
| Final (gradient boosting, tuning com 40 tentativas) | 0,85 | 0,62 | 18 ms |

O modelo final ganhou seis pontos de AUC sobre o baseline. O limite de PSI de 0,2 segue a
prática de mercado para mudança moderada; acima dele, o alerta pede um novo treino.

### Limitações

Os dados são de uma única empresa e de um período curto, então o modelo pode não
generalizar para outras bases. A explicação das previsões ainda não está disponível na API
e fica como trabalho futuro, assim como o retreino automático a partir do alerta de drift.
"""

STRONG_FILES: dict[str, str] = {
    "README.md": STRONG_README,
    "requirements.txt": """
        fastapi==0.115.0
        uvicorn==0.30.6
        scikit-learn==1.5.2
        pandas==2.2.3
        numpy==2.1.1
        scipy==1.14.1
        mlflow==2.16.2
        python-json-logger==2.0.7
    """,
    "pyproject.toml": """
        [project]
        name = "churn"
        version = "1.0.0"
        requires-python = ">=3.11"

        [tool.ruff]
        line-length = 100

        [tool.pytest.ini_options]
        testpaths = ["tests"]
    """,
    "conftest.py": '''
        """Puts src/ on sys.path so the tests import the package without installing it."""

        import sys
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).parent / "src"))
    ''',
    ".gitignore": """
        .venv/
        __pycache__/
        mlruns/
    """,
    "src/churn/__init__.py": '''
        """Previsão de churn: features, modelo, API e monitoração."""

        __version__ = "1.0.0"
    ''',
    "src/churn/features.py": '''
        """Features compartilhadas entre treino e inferência."""

        import numpy as np
        import pandas as pd

        COLUMNS = ["tenure", "monthly_charges", "total_charges"]


        def validate(frame: pd.DataFrame) -> pd.DataFrame:
            """Confere colunas, nulos e faixas antes de criar as features."""
            missing = [column for column in COLUMNS if column not in frame.columns]
            if missing:
                raise ValueError(f"colunas ausentes: {missing}")
            if frame[COLUMNS].isna().any().any():
                raise ValueError("valores nulos nas features")
            if (frame["tenure"] < 0).any():
                raise ValueError("tenure negativo")
            return frame


        def build_features(frame: pd.DataFrame) -> np.ndarray:
            """Matriz de features usada igualmente no treino e na API."""
            frame = validate(frame)
            ratio = frame["total_charges"] / (frame["tenure"] + 1)
            return np.column_stack([frame[COLUMNS].to_numpy(dtype=float), ratio.to_numpy()])
    ''',
    "src/churn/model.py": '''
        """Treino do modelo e dados sintéticos para testes e para a API de demonstração."""

        import numpy as np
        import pandas as pd
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from churn.features import build_features

        MODEL_VERSION = "1"


        def synthetic_data(rows: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
            """Dados pequenos e reprodutíveis: clientes novos e caros cancelam mais."""
            rng = np.random.default_rng(seed)
            tenure = rng.integers(0, 72, rows)
            monthly = rng.uniform(20, 120, rows)
            frame = pd.DataFrame(
                {"tenure": tenure, "monthly_charges": monthly, "total_charges": tenure * monthly}
            )
            target = ((monthly / 120 - tenure / 72 + rng.normal(0, 0.2, rows)) > 0).astype(int)
            return frame, target


        def train(frame: pd.DataFrame, target: np.ndarray):
            """Pipeline de escala + regressão logística."""
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
            return model.fit(build_features(frame), target)


        def default_model():
            """Modelo treinado com os dados sintéticos (usado quando não há registro)."""
            return train(*synthetic_data())
    ''',
    "src/churn/api.py": '''
        """API de previsão: GET /health e POST /predict."""

        import os
        import time

        import pandas as pd
        from fastapi import FastAPI
        from pydantic import BaseModel, Field

        from churn.features import build_features
        from churn.model import MODEL_VERSION, default_model
        from churn.monitoring import get_logger, metrics

        app = FastAPI(title="churn-api", version="1.0.0")
        logger = get_logger("churn.api")


        def load_model():
            """O modelo "champion" do registro; sem MODEL_URI, o de demonstração."""
            uri = os.environ.get("MODEL_URI")  # ex.: models:/churn-model@champion
            if not uri:
                return default_model()
            import mlflow.sklearn

            return mlflow.sklearn.load_model(uri)


        model = load_model()


        class Customer(BaseModel):
            tenure: int = Field(ge=0, le=120)
            monthly_charges: float = Field(gt=0)
            total_charges: float = Field(ge=0)


        class Prediction(BaseModel):
            churn_probability: float
            model_version: str


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok", "model_version": MODEL_VERSION}


        @app.post("/predict", response_model=Prediction)
        def predict(customer: Customer) -> Prediction:
            started = time.perf_counter()
            features = build_features(pd.DataFrame([customer.model_dump()]))
            probability = float(model.predict_proba(features)[0, 1])
            elapsed_ms = (time.perf_counter() - started) * 1000
            metrics.timing("predict.latency_ms", elapsed_ms)
            metrics.incr("predict.requests")
            logger.info("prediction", extra={"probability": probability, "ms": elapsed_ms})
            return Prediction(churn_probability=probability, model_version=MODEL_VERSION)
    ''',
    "src/churn/train.py": '''
        """Treino rastreado no MLflow: baseline e modelo final, registro com alias."""

        import mlflow
        import mlflow.sklearn
        from mlflow import MlflowClient
        from sklearn.dummy import DummyClassifier
        from sklearn.metrics import roc_auc_score

        from churn.features import build_features
        from churn.model import synthetic_data, train

        MODEL_NAME = "churn-model"


        def main() -> None:
            frame, target = synthetic_data(1000)
            features = build_features(frame)
            mlflow.set_experiment("churn")
            with mlflow.start_run(run_name="baseline"):
                baseline = DummyClassifier(strategy="prior").fit(features, target)
                mlflow.log_param("model", "dummy_prior")
                scores = baseline.predict_proba(features)[:, 1]
                mlflow.log_metric("roc_auc", roc_auc_score(target, scores))
            with mlflow.start_run(run_name="final"):
                model = train(frame, target)
                auc = roc_auc_score(target, model.predict_proba(features)[:, 1])
                mlflow.log_params({"model": "logistic_regression", "max_iter": 500})
                mlflow.log_metric("roc_auc", auc)
                info = mlflow.sklearn.log_model(
                    model, name="model", registered_model_name=MODEL_NAME
                )
            client = MlflowClient()
            client.set_registered_model_alias(
                MODEL_NAME, "champion", info.registered_model_version
            )


        if __name__ == "__main__":
            main()
    ''',
    "src/churn/monitoring.py": '''
        """Logs JSON, métricas no formato statsd e drift por PSI e KS."""

        import json
        import logging
        import socket

        import numpy as np
        from scipy.stats import ks_2samp

        PSI_ALERT = 0.2          # mudança moderada, segundo a prática de mercado


        class JSONFormatter(logging.Formatter):
            def format(self, record: logging.LogRecord) -> str:
                payload = {"level": record.levelname, "logger": record.name,
                           "message": record.getMessage()}
                payload.update(getattr(record, "extra_fields", {}))
                return json.dumps(payload)


        def get_logger(name: str) -> logging.Logger:
            logger = logging.getLogger(name)
            if not logger.handlers:
                handler = logging.StreamHandler()
                handler.setFormatter(JSONFormatter())
                logger.addHandler(handler)
                logger.setLevel(logging.INFO)
            return logger


        class StatsdClient:
            """Cliente statsd mínimo (UDP); sem host configurado, só guarda as linhas."""

            def __init__(self, host: str | None = None, port: int = 8125) -> None:
                self.address = (host, port) if host else None
                self.sent: list[str] = []

            def _send(self, line: str) -> None:
                self.sent.append(line)
                if self.address:
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                        sock.sendto(line.encode(), self.address)

            def incr(self, name: str, value: int = 1) -> None:
                self._send(f"{name}:{value}|c")

            def timing(self, name: str, ms: float) -> None:
                self._send(f"{name}:{ms:.3f}|ms")


        metrics = StatsdClient()


        def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
            """Population Stability Index entre a distribuição de treino e a atual."""
            edges = np.quantile(expected, np.linspace(0, 1, bins + 1))
            edges[0], edges[-1] = -np.inf, np.inf
            e = np.histogram(expected, edges)[0] / len(expected) + 1e-6
            a = np.histogram(actual, edges)[0] / len(actual) + 1e-6
            return float(np.sum((a - e) * np.log(a / e)))


        def drift_report(expected: np.ndarray, actual: np.ndarray) -> dict[str, float | bool]:
            """PSI e KS de uma feature; alerta quando o PSI passa de PSI_ALERT."""
            value = psi(expected, actual)
            ks = ks_2samp(expected, actual)
            return {"psi": value, "ks_pvalue": float(ks.pvalue), "alert": value > PSI_ALERT}
    ''',
    "tests/__init__.py": "",
    "tests/test_features.py": """
        import pandas as pd
        import pytest

        from churn.features import build_features, validate
        from churn.model import synthetic_data


        def test_build_features_shape():
            frame, _ = synthetic_data(10)
            assert build_features(frame).shape == (10, 4)


        def test_validate_rejects_missing_column():
            with pytest.raises(ValueError, match="ausentes"):
                validate(pd.DataFrame({"tenure": [1]}))
    """,
    "tests/test_model.py": """
        from churn.features import build_features
        from churn.model import synthetic_data, train
        from churn.monitoring import drift_report


        def test_model_beats_chance():
            frame, target = synthetic_data(300)
            model = train(frame, target)
            assert model.score(build_features(frame), target) > 0.7


        def test_drift_detects_shift():
            frame, _ = synthetic_data(500)
            values = frame["monthly_charges"].to_numpy()
            assert drift_report(values, values + 40)["alert"] is True
            assert drift_report(values, values)["alert"] is False


        def test_drift_ks_pvalue_range():
            frame, _ = synthetic_data(100)
            values = frame["tenure"].to_numpy()
            assert 0.0 <= drift_report(values, values)["ks_pvalue"] <= 1.0
    """,
    "tests/test_api.py": """
        from fastapi.testclient import TestClient

        from churn.api import app

        client = TestClient(app)


        def test_health():
            assert client.get("/health").json()["status"] == "ok"


        def test_predict():
            answer = client.post(
                "/predict", json={"tenure": 3, "monthly_charges": 99.0, "total_charges": 297.0}
            )
            assert answer.status_code == 200
            assert 0.0 <= answer.json()["churn_probability"] <= 1.0


        def test_predict_rejects_invalid_input():
            answer = client.post("/predict", json={"tenure": -1})
            assert answer.status_code == 422
    """,
    "Dockerfile": """
        FROM python:3.11.9-slim
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY src/ src/
        RUN useradd --create-home --uid 10001 app
        USER app
        EXPOSE 8000
        HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
        CMD ["uvicorn", "churn.api:app", "--app-dir", "src", "--host", "0.0.0.0", "--port", "8000"]
    """,
    ".dockerignore": """
        .git
        .venv
        mlruns
    """,
    ".github/workflows/ci.yml": """
        name: ci
        on:
          push:
            branches: [main]
          pull_request:
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.11"
                  cache: pip
              - run: pip install -r requirements.txt ruff pytest
              - name: Lint
                run: ruff check .
              - name: Testes
                run: pytest -q
              - name: Build da imagem
                run: docker build -t churn-api .
    """,
    "infra/cloudformation.yaml": """
        AWSTemplateFormatVersion: "2010-09-09"
        Description: Repositório de imagens, cluster e logs da API de churn.
        Parameters:
          Environment:
            Type: String
            AllowedValues: [dev, prod]
            Default: dev
          LogRetentionDays:
            Type: Number
            Default: 14
        Resources:
          ImageRepository:
            Type: AWS::ECR::Repository
            Properties:
              RepositoryName: !Sub "churn-api-${Environment}"
              ImageScanningConfiguration:
                ScanOnPush: true
              Tags:
                - Key: project
                  Value: churn
          Cluster:
            Type: AWS::ECS::Cluster
            Properties:
              ClusterName: !Sub "churn-${Environment}"
              Tags:
                - Key: project
                  Value: churn
          ApiLogGroup:
            Type: AWS::Logs::LogGroup
            Properties:
              LogGroupName: !Sub "/churn/${Environment}/api"
              RetentionInDays: !Ref LogRetentionDays
        Outputs:
          RepositoryUri:
            Value: !GetAtt ImageRepository.RepositoryUri
          ClusterName:
            Value: !Ref Cluster
    """,
}


def strong(path: Path) -> Path:
    """The project that meets every automatic criterion (see the module docstring)."""
    return _write(path, STRONG_FILES)


# -- the weak project -------------------------------------------------------------------------

WEAK_FILES: dict[str, str] = {
    "README.md": """
        # projeto final
        modelo de churn
    """,
    "analise.py": """
        import pandas as pd
        import numpy as np
        import os
        from sklearn.linear_model import LogisticRegression

        df = pd.read_csv('dados.csv')
        df = df.dropna()
        print(df.head())
        X = df[['tenure','monthly_charges']]
        y = df['churn']
        m = LogisticRegression()
        m.fit(X,y)
        print(m.score(X,y))
        l = [1,2,3]
        if l == None:
            print( 'vazio' )
        try:
            m.predict(X)
        except:
            pass
    """,
}


def weak(path: Path) -> Path:
    """A two-line README and one notebook-ish script with lint findings; nothing else."""
    return _write(path, WEAK_FILES)


# -- variants of the strong project -----------------------------------------------------------


def failing_tests(path: Path) -> Path:
    """``strong`` plus two failing tests (names in ``FAILING_TESTS``)."""
    strong(path)
    return _write(
        path,
        {
            "tests/test_regressao.py": """
        from churn.model import synthetic_data


        def test_acuracia_minima():
            assert 0.5 > 0.9, "acurácia abaixo do mínimo combinado"


        def test_colunas_esperadas():
            frame, _ = synthetic_data(5)
            assert "contract" in frame.columns
    """
        },
    )


def missing_dependency(path: Path) -> Path:
    """``strong`` plus a test module that imports ``catboost``, absent from the image."""
    strong(path)
    return _write(
        path,
        {
            "tests/test_catboost.py": """
        import catboost


        def test_catboost_version():
            assert catboost.__version__
    """
        },
    )


def api_never_starts(path: Path) -> Path:
    """``strong`` whose app crashes at import (a missing model file); API tests removed."""
    strong(path)
    (path / "tests" / "test_api.py").unlink()
    return _write(
        path,
        {
            STRONG_APP_FILE: '''
        """API de previsão: carrega o modelo salvo em models/ (que não foi versionado)."""

        import pickle
        from pathlib import Path

        from fastapi import FastAPI

        MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "modelo.joblib"

        app = FastAPI(title="churn-api")
        with MODEL_PATH.open("rb") as handle:
            model = pickle.load(handle)


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}


        @app.post("/predict")
        def predict(payload: dict) -> dict[str, float]:
            return {"churn_probability": float(model.predict_proba([[0, 0, 0, 0]])[0, 1])}
    '''
        },
    )


def fork_bomb_test(seconds: int) -> str:
    """A test module that forks for ``seconds``: only as the sandbox's student uid (1001),
    so a fixture tree never forks on a host."""
    return f"""
        import os
        import time

        import pytest


        def test_fork_bomb():
            if os.getuid() != 1001:
                pytest.skip("só no sandbox")
            root = os.getpid()
            deadline = time.monotonic() + {seconds}
            while time.monotonic() < deadline:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.01)
            if os.getpid() != root:
                os._exit(0)
    """


def hostile_tests(path: Path) -> Path:
    """``strong`` plus tests that reach for the network and fork processes for a while."""
    strong(path)
    return _write(
        path,
        {
            "tests/test_hostil.py": """
        import socket
        import urllib.request


        def test_rede_externa():
            with socket.create_connection(("1.1.1.1", 53), timeout=3):
                pass
            urllib.request.urlopen("http://example.com", timeout=3).read(100)
    """,
            "tests/test_bomba.py": fork_bomb_test(FORK_BOMB_SECONDS),
        },
    )


def large_file(path: Path, size_mb: int = 200) -> Path:
    """``strong`` plus a sparse ``dados/dump.bin`` of ``size_mb`` MB (no disk used)."""
    strong(path)
    target = path / "dados" / "dump.bin"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        handle.truncate(size_mb * 1024 * 1024)
    return path


LEAKED_AWS_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key, never a real one


def leaked_secret(path: Path) -> Path:
    """``strong`` plus ``src/churn/config.py`` with a hard-coded AWS access key id."""
    strong(path)
    return _write(
        path,
        {
            "src/churn/config.py": f'''
        """Configuração de acesso ao bucket de dados."""

        AWS_ACCESS_KEY_ID = "{LEAKED_AWS_KEY}"
        BUCKET = "churn-dados"
    '''
        },
    )


def serve(server, name: str, builder) -> tuple[str, str]:
    """Build a fixture project and serve it from ``server`` (tests/autograder/git_server.py)
    as repository ``name``; return its URL and head commit."""
    import tempfile

    from tests.autograder.git_server import make_repo

    with tempfile.TemporaryDirectory() as tmp:
        root = builder(Path(tmp) / "p")
        files = {
            str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }
    return make_repo(server, name, files)


# -- an English README and a committed mlruns/ (issue 17, items 3 and 4) ----------------------

ENGLISH_README = """
# Customer Churn Prediction

Final project of the Machine Learning Engineering course: a model that estimates how likely a
customer is to cancel the service, served by an HTTP API, packaged in a container and
monitored in production. The code follows the `src/` layout and every step has tests.

## 🎯 Overview

The business problem is to reduce customer churn at a telecom operator. Every morning the
retention team receives the list of customers at highest risk and calls them with an offer.
The model must rank customers well (main metric: ROC AUC) and answer in less than 200 ms per
request, because the CRM calls the API while the agent is talking to the customer. A model
that is accurate but slow is of no use here.

## 📦 Dataset

The data comes from the public [Telco Customer Churn](https://www.kaggle.com/datasets/blastchar/telco-customer-churn)
dataset, with about seven thousand customers and twenty columns. The module
`src/churn/features.py` validates the schema (types, nulls and value ranges) before building
the features, and the same code runs in training and in the API, so both steps always agree.
The split between training and test is stratified and happens before any transformation,
which avoids leakage. Tests use small synthetic data generated with a fixed seed.

## ⚙️ 3. Setup Instructions

Everything below runs from the repository root on Linux or macOS with Python 3.11.

### 1) Installation

```bash
python -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt
```

### 2) Training and serving

```bash
pytest                                  # unit and API tests
python -m churn.train                   # training, tracked in MLflow
uvicorn churn.api:app --app-dir src --port 8000
docker build -t churn-api . && docker run -p 8000:8000 churn-api
```

To deploy on AWS, use the [CloudFormation](https://docs.aws.amazon.com/cloudformation/)
template:
`aws cloudformation deploy --template-file infra/cloudformation.yaml --stack-name churn`;
remove everything with `aws cloudformation delete-stack --stack-name churn`.

## 🧪 Testing

The tests cover the features, the model and the endpoints; they never reach the network.

## 🏗️ System Design

```
raw data -> features.py -> train.py -> MLflow (runs + Model Registry, alias "champion")
                                              |
                          api.py (FastAPI) <--+   JSON logs, statsd metrics, PSI/KS drift
```

The API loads the model with the `champion` alias from the registry. Every request writes a
JSON log line with the request id, the model version and the latency; counters and
histograms follow the statsd format. A daily job compares the distribution of the features
with the training one using PSI and the KS test.

## API Endpoints

`GET /health` answers with the model version and `POST /predict` with the churn probability.

## 📊 Results & Metrics

| Model | ROC AUC | F1 | API p95 |
| --- | --- | --- | --- |
| Baseline (logistic regression) | 0.79 | 0.55 | 12 ms |
| Final (gradient boosting, tuning with 40 trials) | 0.85 | 0.62 | 18 ms |

The final model gained six AUC points over the baseline. The PSI limit of 0.2 follows the
common practice for a moderate shift; above it, the alert asks for a new training run.

## ⚠️ Known issues & Future work

The data comes from a single company and a short period, so the model may not generalise to
other customer bases. Explanations of the predictions are not available in the API yet and
remain future work, as does retraining automatically when the drift alert fires.
"""
ENGLISH_HEADINGS = {  # section label -> the heading it is found under, as quoted
    "Objetivo": "🎯 Overview",
    "Dados": "📦 Dataset",
    "Como executar": "⚙️ 3. Setup Instructions",
    "Arquitetura": "🏗️ System Design",
    "Resultados": "📊 Results & Metrics",
}


def english_readme(path: Path) -> Path:
    """``strong`` with an all-English README whose headings carry emoji and numbering."""
    strong(path)
    return _write(path, {"README.md": ENGLISH_README})


def notebook_json(cells: list[tuple[str, str]]) -> str:
    """A Jupyter notebook (JSON) of ``(cell_type, source)`` cells."""
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
                | ({"execution_count": None, "outputs": []} if kind == "code" else {})
                for kind, source in cells
            ],
            "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


MLRUNS_RUN = "mlruns/0/5f1c2a9e8d7b4c3a9f0e1d2c3b4a5968"
MLRUNS_TESTS = 5
# What MLflow copied into the run's artifacts: it would be worth the registry, an alias,
# JSON logs, metrics, drift and a drift limit, and a heap of lint findings, were it counted.
MLRUNS_CODE = """
import json
import logging
import os, sys
from pythonjsonlogger.jsonlogger import JsonFormatter
from prometheus_client import Counter, Histogram
from scipy.stats import ks_2samp
import mlflow
from mlflow import MlflowClient

PSI_ALERT = 0.2
REQUESTS = Counter("requests", "requests")
LATENCY = Histogram("latency", "latency")
handler = logging.StreamHandler()
handler.setFormatter(JsonFormatter())


def psi_drift(a, b):
    if a == None:
        return None
    try:
        return ks_2samp(a, b).pvalue
    except:
        pass


with mlflow.start_run(run_name="baseline"):
    mlflow.log_param("model", "mean")
with mlflow.start_run(run_name="final"):
    mlflow.log_metric("mae", 10.0)
    mlflow.sklearn.log_model(None, "model", registered_model_name="vendas")
MlflowClient().set_registered_model_alias("vendas", "champion", 1)
model = mlflow.pyfunc.load_model("models:/vendas@champion")
l = [x for x in range(10) if x == None]
print(json.dumps(l)) ; print(os.getcwd()) ; print(sys.argv)
"""
MLRUNS_FILES: dict[str, str] = {
    "README.md": """
        # Previsão de vendas

        Modelo que estima as vendas semanais de cada loja a partir do histórico. Os
        experimentos estão em `notebooks/experimentos.ipynb`, registrados no MLflow, e o
        código reutilizável em `src/vendas/`.
    """,
    "pyproject.toml": """
        [project]
        name = "vendas"
        version = "0.1.0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
    """,
    "conftest.py": '''
        """Puts src/ on sys.path so the tests import the package without installing it."""

        import sys
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).parent / "src"))
    ''',
    "src/vendas/__init__.py": '''
        """Previsão de vendas semanais por loja."""
    ''',
    "src/vendas/features.py": '''
        """Features das vendas: médias móveis e variação semanal."""


        def moving_average(values: list[float], window: int) -> list[float]:
            """Média das últimas ``window`` semanas (menos no começo da série)."""
            averages = []
            for index in range(len(values)):
                start = max(0, index - window + 1)
                chunk = values[start : index + 1]
                averages.append(sum(chunk) / len(chunk))
            return averages


        def weekly_change(values: list[float]) -> list[float]:
            """Variação em relação à semana anterior (0 na primeira semana)."""
            return [0.0] + [values[index] - values[index - 1] for index in range(1, len(values))]
    ''',
    "src/vendas/modelo.py": '''
        """Modelo de referência: a média móvel prevê a próxima semana."""

        from vendas.features import moving_average


        def predict_next(values: list[float], window: int = 4) -> float:
            """A previsão da próxima semana: a última média móvel."""
            if not values:
                raise ValueError("série vazia")
            return moving_average(values, window)[-1]


        def mean_absolute_error(actual: list[float], predicted: list[float]) -> float:
            """Erro absoluto médio entre duas séries do mesmo tamanho."""
            if len(actual) != len(predicted):
                raise ValueError("séries de tamanhos diferentes")
            return sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / len(actual)
    ''',
    "tests/test_vendas.py": """
        import pytest

        from vendas.features import moving_average, weekly_change
        from vendas.modelo import mean_absolute_error, predict_next


        def test_moving_average_of_a_constant_series():
            assert moving_average([2.0, 2.0, 2.0], 2) == [2.0, 2.0, 2.0]


        def test_weekly_change_starts_at_zero():
            assert weekly_change([1.0, 3.0, 2.0]) == [0.0, 2.0, -1.0]


        def test_predict_next_is_the_last_average():
            assert predict_next([1.0, 2.0, 3.0, 4.0], window=2) == 3.5


        def test_predict_next_refuses_an_empty_series():
            with pytest.raises(ValueError):
                predict_next([])


        def test_mean_absolute_error():
            assert mean_absolute_error([1.0, 2.0], [2.0, 4.0]) == 1.5
    """,
    f"{MLRUNS_RUN}/meta.yaml": """
        artifact_uri: file:///home/aluno/vendas/mlruns/0/5f1c2a9e8d7b4c3a9f0e1d2c3b4a5968/artifacts
        run_name: final
        status: 3
    """,
    f"{MLRUNS_RUN}/artifacts/code/train.py": MLRUNS_CODE,
    f"{MLRUNS_RUN}/artifacts/code/monitoring.py": MLRUNS_CODE,
    "mlartifacts/1/models/m-1/artifacts/code/serve.py": MLRUNS_CODE,
}
# The notebook's code cells (cell 1 is Markdown): mlflow imported in cell 2, called in cell 4.
MLRUNS_NOTEBOOK = [
    ("markdown", "# Experimentos de previsão de vendas\n"),
    ("code", "%pip install mlflow\nimport mlflow\n\nfrom vendas.modelo import predict_next\n"),
    ("markdown", "Baseline: a média móvel de quatro semanas.\n"),
    (
        "code",
        'mlflow.set_experiment("vendas")\n'
        'with mlflow.start_run(run_name="media-movel"):\n'
        '    mlflow.log_param("window", 4)\n'
        '    mlflow.log_metric("previsao", predict_next([10.0, 12.0, 11.0, 13.0]))\n',
    ),
]


def committed_mlruns(path: Path) -> Path:
    """A small clean package with ``MLRUNS_TESTS`` passing tests, MLflow tracking (no registry)
    only in ``notebooks/experimentos.ipynb``, and a committed ``mlruns/`` (and ``mlartifacts/``)
    whose logged code copies are full of registry calls, monitoring and lint findings."""
    _write(path, MLRUNS_FILES)
    notebook = path / "notebooks" / "experimentos.ipynb"
    notebook.parent.mkdir(parents=True, exist_ok=True)
    notebook.write_text(notebook_json(MLRUNS_NOTEBOOK), encoding="utf-8")
    return path

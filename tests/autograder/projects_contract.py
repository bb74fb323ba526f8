"""Fixture final projects that declare how they run in a ``projeto.yaml`` (the contract of
``autograder/project_contract.py``), built like those of ``tests/autograder/projects.py``
(whose ``_write`` and ``serve`` they reuse: ``serve(server, name, trained_by_contract)``).

- ``trained_by_contract``: a small FastAPI project whose API loads ``models/model.joblib`` at
  import time. The model is not in the repository (``.gitignore``): ``train.py`` trains a
  tiny scikit-learn model on synthetic data and writes it, and ``projeto.yaml`` declares
  ``train: python train.py``, ``serve: uvicorn app.main:app --port 8000`` and
  ``test: pytest -q tests``. Without the train step the API cannot start and the API tests
  fail; with it, ``CONTRACT_TESTS`` tests pass (``CONTRACT_API_TESTS`` of them need the
  model) and ``GET /health``, ``POST /predict`` (pydantic, 422 on bad input) answer.
- ``train_fails``: the same project whose ``train.py`` exits with an error before writing
  the model (``TRAIN_ERROR`` in its output): the API cannot start.

Everything runs with the grading image's packages only (FastAPI, uvicorn, pydantic,
scikit-learn, joblib, httpx for the test client); the training takes well under a second.
"""

from __future__ import annotations

from pathlib import Path

from tests.autograder.projects import _write

CONTRACT_APP = "app.main:app"
CONTRACT_APP_FILE = "app/main.py"
MODEL_FILE = "models/model.joblib"
CONTRACT_TESTS = 5  # all passing once the model is trained
CONTRACT_API_TESTS = 3  # of which in tests/test_api.py, needing the model
TRAIN_COMMAND = "python train.py"
SERVE_COMMAND = "uvicorn app.main:app --port 8000"
TEST_COMMAND = "pytest -q tests"
TRAIN_ERROR = "dados de treino ausentes"

CONTRACT_FILES: dict[str, str] = {
    "projeto.yaml": f"""
        # Como o corretor roda este projeto (veja a página do projeto final).
        python: "3.11"
        train: {TRAIN_COMMAND}
        serve: {SERVE_COMMAND}
        test: {TEST_COMMAND}
        port: 8000
        train_seconds: 120
    """,
    "README.md": """
        # Risco de inadimplência

        API que estima o risco de inadimplência de um cliente a partir de três medidas.

        ## Como executar

        ```bash
        python train.py                 # gera models/model.joblib (não versionado)
        pytest -q tests
        uvicorn app.main:app --port 8000
        ```
    """,
    ".gitignore": """
        models/
        __pycache__/
    """,
    "conftest.py": '''
        """Puts the project root on sys.path, so the tests import ``app`` without installing."""

        import sys
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).parent))
    ''',
    "app/__init__.py": '''
        """Risco de inadimplência: features, treino e API."""
    ''',
    "app/features.py": '''
        """Features compartilhadas entre o treino e a API."""

        import numpy as np

        COLUMNS = ("renda", "divida", "atrasos")


        def synthetic_data(rows: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
            """Dados sintéticos: o risco cresce com a dívida e os atrasos e cai com a renda."""
            generator = np.random.default_rng(seed)
            features = generator.normal(size=(rows, len(COLUMNS)))
            score = -1.5 * features[:, 0] + 1.0 * features[:, 1] + 2.0 * features[:, 2]
            return features, (score + generator.normal(scale=0.5, size=rows) > 0).astype(int)


        def to_row(renda: float, divida: float, atrasos: float) -> list[list[float]]:
            return [[renda, divida, atrasos]]
    ''',
    "app/main.py": '''
        """API de previsão: carrega o modelo treinado por train.py (models/model.joblib)."""

        from pathlib import Path

        import joblib
        from fastapi import FastAPI
        from pydantic import BaseModel, Field

        from app.features import to_row

        MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "model.joblib"
        MODEL_VERSION = "1"

        model = joblib.load(MODEL_PATH)  # sem o treino, a API não sobe
        app = FastAPI(title="risco-api")


        class Cliente(BaseModel):
            renda: float = Field(examples=[1.2])
            divida: float = Field(examples=[0.3])
            atrasos: float = Field(ge=0, examples=[1.0])


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}


        @app.post("/predict")
        def predict(cliente: Cliente) -> dict[str, float | str]:
            row = to_row(cliente.renda, cliente.divida, cliente.atrasos)
            return {
                "risco": float(model.predict_proba(row)[0, 1]),
                "model_version": MODEL_VERSION,
            }
    ''',
    "train.py": '''
        """Treina o modelo em dados sintéticos e o grava em models/model.joblib."""

        from pathlib import Path

        import joblib
        from sklearn.linear_model import LogisticRegression

        from app.features import synthetic_data

        OUTPUT = Path(__file__).resolve().parent / "models" / "model.joblib"


        def main() -> None:
            features, target = synthetic_data(400)
            model = LogisticRegression().fit(features, target)
            OUTPUT.parent.mkdir(parents=True, exist_ok=True)
            joblib.dump(model, OUTPUT)
            print(f"acurácia de treino {model.score(features, target):.3f}; salvo em {OUTPUT}")


        if __name__ == "__main__":
            main()
    ''',
    "tests/test_features.py": """
        from app.features import COLUMNS, synthetic_data, to_row


        def test_dados_sinteticos_tem_as_colunas():
            features, target = synthetic_data(20)
            assert features.shape == (20, len(COLUMNS)) and target.shape == (20,)


        def test_linha_na_ordem_das_colunas():
            assert to_row(1.0, 2.0, 3.0) == [[1.0, 2.0, 3.0]]
    """,
    "tests/test_api.py": """
        from fastapi.testclient import TestClient

        from app.main import MODEL_PATH, app

        client = TestClient(app)


        def test_modelo_treinado_existe():
            assert MODEL_PATH.is_file()


        def test_health():
            assert client.get("/health").json() == {"status": "ok"}


        def test_predict_valida_a_entrada():
            resposta = client.post("/predict", json={"renda": 1.0, "divida": 0.0, "atrasos": 2})
            assert resposta.status_code == 200 and 0 <= resposta.json()["risco"] <= 1
            assert client.post("/predict", json={"renda": "muita"}).status_code == 422
    """,
}


def trained_by_contract(path: Path) -> Path:
    """The project whose model exists only after projeto.yaml's ``train`` (see above)."""
    return _write(path, CONTRACT_FILES)


def train_fails(path: Path) -> Path:
    """``trained_by_contract`` whose ``train.py`` fails before writing the model."""
    trained_by_contract(path)
    return _write(
        path,
        {
            "train.py": f'''
        """Treino que falha: os dados não foram baixados."""

        import sys

        print("lendo dados/treino.csv")
        sys.exit("{TRAIN_ERROR}: rode scripts/baixar_dados.py antes")
    '''
        },
    )

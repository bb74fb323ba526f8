"""Generate the course's synthetic "Telco Customer Churn" data set (fixed seed, offline).

    python course_content/datasets/make_telco.py          # rewrites the three CSV files

The plan's notebooks use Kaggle's ``blastchar/telco-customer-churn``; nothing may be
downloaded at grading time, so the course ships a synthetic data set with the **same
schema and the same quirks** (see ``README.md`` next to this file):

- 21 columns, ``customerID`` unique, the target ``Churn`` is ``Yes``/``No`` (≈ 26 % ``Yes``);
- ``SeniorCitizen`` is 0/1 (numeric in the file, categorical by nature);
- ``TotalCharges`` is text: a single space for customers with ``tenure == 0``, as in Kaggle's file;
- ``"No internet service"`` / ``"No phone service"`` in the dependent service columns;
- a few values are missing (``PaymentMethod``, ``MonthlyCharges``) so cleaning matters.

Churn follows a logistic model of contract type, tenure, charges, fibre, support services,
electronic check and senior status, with noise, so a good model reaches ROC AUC ≈ 0.85.

Three files: ``telco_churn.csv`` (public, 5,600 customers, students get it), and, for the
instructors only, the held-out set ``ocultos/telco_avaliacao.csv`` (1,400 customers, no
``Churn`` column) with its labels ``ocultos/telco_avaliacao_rotulos.csv`` (``customerID``,
``Churn`` as 0/1). The held-out files are mounted only into the grading container.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

SEED = 20270301
N_PUBLIC = 5600
N_HOLDOUT = 1400
HERE = Path(__file__).resolve().parent

COLUMNS = [
    "customerID",
    "gender",
    "SeniorCitizen",
    "Partner",
    "Dependents",
    "tenure",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "MonthlyCharges",
    "TotalCharges",
    "Churn",
]
PAYMENT = [
    "Electronic check",
    "Mailed check",
    "Bank transfer (automatic)",
    "Credit card (automatic)",
]


def _customer_id(rng: random.Random, used: set[str]) -> str:
    while True:
        letters = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5))
        value = f"{rng.randint(0, 9999):04d}-{letters}"
        if value not in used:
            used.add(value)
            return value


def _yes(rng: random.Random, p: float) -> str:
    return "Yes" if rng.random() < p else "No"


def _customer(rng: random.Random, used: set[str]) -> dict[str, object]:
    senior = 1 if rng.random() < 0.16 else 0
    partner = _yes(rng, 0.48)
    dependents = _yes(rng, 0.45 if partner == "Yes" else 0.12)
    contract = rng.choices(["Month-to-month", "One year", "Two year"], [0.55, 0.21, 0.24])[0]
    max_tenure = {"Month-to-month": 40, "One year": 60, "Two year": 72}[contract]
    tenure = 0
    if rng.random() >= 0.0016:  # a few brand-new customers, with no bill yet
        tenure = min(72, max(1, int(rng.expovariate(1 / (max_tenure / 2.2))) + 1))
    phone = _yes(rng, 0.90)
    multiple = "No phone service" if phone == "No" else _yes(rng, 0.47)
    internet = rng.choices(["DSL", "Fiber optic", "No"], [0.34, 0.44, 0.22])[0]

    def service(p: float) -> str:
        return "No internet service" if internet == "No" else _yes(rng, p)

    security, backup = service(0.37), service(0.44)
    protection, support = service(0.44), service(0.37)
    tv, movies = service(0.50), service(0.50)
    paperless = _yes(rng, 0.59)
    payment = rng.choices(PAYMENT, [0.34, 0.23, 0.22, 0.21])[0]

    monthly = 20.0 + (5.0 if phone == "Yes" else 0) + (5.0 if multiple == "Yes" else 0)
    monthly += {"DSL": 25.0, "Fiber optic": 50.0, "No": 0.0}[internet]
    monthly += sum(8.0 for s in (security, backup, protection, support, tv, movies) if s == "Yes")
    monthly = round(max(18.25, monthly + rng.gauss(0, 3.0)), 2)
    total = " " if tenure == 0 else f"{monthly * tenure * rng.uniform(0.93, 1.05):.2f}"

    z = -1.62
    z += {"Month-to-month": 1.2, "One year": -0.4, "Two year": -1.6}[contract]
    z += -0.85 * math.log1p(tenure) + 1.7
    z += 0.9 if internet == "Fiber optic" else (-0.6 if internet == "No" else 0.0)
    z += 0.55 if payment == "Electronic check" else 0.0
    z += 0.30 if paperless == "Yes" else 0.0
    z += -0.45 if security == "Yes" else 0.0
    z += -0.40 if support == "Yes" else 0.0
    z += 0.35 if senior else 0.0
    z += -0.25 if dependents == "Yes" else 0.0
    z += 0.012 * (monthly - 65)
    churn = "Yes" if rng.random() < 1 / (1 + math.exp(-(z + rng.gauss(0, 0.35)))) else "No"

    row: dict[str, object] = {
        "customerID": _customer_id(rng, used),
        "gender": rng.choice(["Female", "Male"]),
        "SeniorCitizen": senior,
        "Partner": partner,
        "Dependents": dependents,
        "tenure": tenure,
        "PhoneService": phone,
        "MultipleLines": multiple,
        "InternetService": internet,
        "OnlineSecurity": security,
        "OnlineBackup": backup,
        "DeviceProtection": protection,
        "TechSupport": support,
        "StreamingTV": tv,
        "StreamingMovies": movies,
        "Contract": contract,
        "PaperlessBilling": paperless,
        "PaymentMethod": payment,
        "MonthlyCharges": f"{monthly:.2f}",
        "TotalCharges": total,
        "Churn": churn,
    }
    # Real data has holes: about 1 % of payment methods and 0.5 % of monthly charges lost.
    if rng.random() < 0.01:
        row["PaymentMethod"] = ""
    if rng.random() < 0.005:
        row["MonthlyCharges"] = ""
    return row


def generate(seed: int = SEED) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    rng = random.Random(seed)
    used: set[str] = set()
    rows = [_customer(rng, used) for _ in range(N_PUBLIC + N_HOLDOUT)]
    return rows[:N_PUBLIC], rows[N_PUBLIC:]


def _write(path: Path, rows: list[dict[str, object]], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=columns, lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    public, holdout = generate()
    _write(HERE / "telco_churn.csv", public, COLUMNS)
    _write(HERE / "ocultos" / "telco_avaliacao.csv", holdout, COLUMNS[:-1])
    labels = [
        {"customerID": row["customerID"], "Churn": int(row["Churn"] == "Yes")} for row in holdout
    ]
    _write(HERE / "ocultos" / "telco_avaliacao_rotulos.csv", labels, ["customerID", "Churn"])
    rate = sum(row["Churn"] == "Yes" for row in public) / len(public)
    print(
        f"telco_churn.csv: {len(public)} customers, churn rate {rate:.3f}; "
        f"held-out: {len(holdout)} customers"
    )


if __name__ == "__main__":
    main()

"""SQLAlchemy's inspector and pandas.read_sql against DuckMesh (see psycopg2_cases.py)."""
import json
import sys

import pandas as pd
import sqlalchemy as sa

host, port, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
eng = sa.create_engine(f"postgresql+psycopg2://tester@{host}:{port}/{db}")
out = {}


def case(name):
    def wrap(fn):
        try:
            out[name] = fn()
        except Exception as e:  # noqa: BLE001 - every failure is a reported value
            orig = getattr(e, "orig", None)
            out[name] = {"error": f"{getattr(orig, 'pgcode', '')} {str(orig or e).splitlines()[0]}".strip()}
        return fn

    return wrap


@case("create")
def _():
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE sales (id BIGINT PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC(10,2), sold DATE, ratio DOUBLE PRECISION)"))
    with eng.begin() as c:
        c.execute(sa.text("INSERT INTO sales VALUES (1, 'eu', 10.5, '2024-01-01', 0.25), (2, 'us', 20, '2024-01-02', NULL), (3, 'eu', NULL, NULL, 1)"))
    with eng.begin() as c:
        c.execute(sa.text("CREATE INDEX sales_region_sold ON sales (region, sold DESC)"))
        c.execute(sa.text("COMMENT ON TABLE sales IS 'one row per sale'"))
        c.execute(sa.text("COMMENT ON COLUMN sales.amount IS 'in EUR'"))
    with eng.begin() as c:
        c.execute(sa.text("CREATE VIEW eu_sales AS SELECT id, amount, sold FROM sales WHERE region = 'eu'"))
        c.execute(sa.text("COMMENT ON VIEW eu_sales IS 'sales in the EU'"))
    return "ok"


@case("schema_names")
def _():
    return sorted(sa.inspect(eng).get_schema_names())


@case("table_names")
def _():
    return sa.inspect(eng).get_table_names()


@case("columns")
def _():
    return [[c["name"], str(c["type"]), c["nullable"]] for c in sa.inspect(eng).get_columns("sales")]


@case("pk_constraint")
def _():
    return sa.inspect(eng).get_pk_constraint("sales")


@case("indexes")
def _():
    return sa.inspect(eng).get_indexes("sales")


@case("table_comment")
def _():
    return sa.inspect(eng).get_table_comment("sales")


@case("column_comments")
def _():
    return {c["name"]: c.get("comment") for c in sa.inspect(eng).get_columns("sales")}


@case("foreign_keys")
def _():
    return sa.inspect(eng).get_foreign_keys("sales")


@case("has_table")
def _():
    insp = sa.inspect(eng)
    return [insp.has_table("sales"), insp.has_table("nope")]


@case("reflect_table")
def _():
    md = sa.MetaData()
    t = sa.Table("sales", md, autoload_with=eng)
    with eng.connect() as c:
        rows = c.execute(sa.select(t.c.region, sa.func.count()).group_by(t.c.region).order_by(t.c.region)).fetchall()
    return {
        "rows": [[r[0], r[1]] for r in rows],
        "columns": [c.name for c in t.columns],
        "primary_key": [c.name for c in t.primary_key.columns],
        "indexes": sorted([ix.name, [c.name for c in ix.columns], ix.unique] for ix in t.indexes),
        "comment": t.comment,
    }


@case("view_names")
def _():
    return sa.inspect(eng).get_view_names()


@case("view_definition")
def _():
    return sa.inspect(eng).get_view_definition("eu_sales")


@case("view_columns")
def _():
    return [[c["name"], str(c["type"]), c["nullable"]] for c in sa.inspect(eng).get_columns("eu_sales")]


@case("view_comment")
def _():
    return sa.inspect(eng).get_table_comment("eu_sales")


@case("reflect_view")
def _():
    md = sa.MetaData()
    v = sa.Table("eu_sales", md, autoload_with=eng)
    with eng.connect() as c:
        rows = c.execute(sa.select(v.c.id, v.c.amount).order_by(v.c.id)).fetchall()
    return {"columns": [c.name for c in v.columns], "rows": [[r[0], str(r[1])] for r in rows], "comment": v.comment}


@case("read_sql")
def _():
    df = pd.read_sql("SELECT id, region, amount, sold, ratio FROM sales ORDER BY id", eng)
    return {
        "dtypes": {k: str(v) for k, v in df.dtypes.items()},
        "region": df["region"].tolist(),
        "amount": [None if pd.isna(v) else float(v) for v in df["amount"]],
        "ratio_sum": float(df["ratio"].sum()),
    }


@case("read_sql_params")
def _():
    df = pd.read_sql(sa.text("SELECT id FROM sales WHERE region = :r ORDER BY id"), eng, params={"r": "eu"})
    return df["id"].tolist()


@case("to_sql_append")
def _():
    pd.DataFrame({"id": [10, 11], "region": ["apac", "apac"], "amount": [1.5, 2.5]}).to_sql("sales", eng, if_exists="append", index=False, method="multi")
    with eng.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM sales WHERE region = 'apac'")).scalar()


print(json.dumps(out, default=str))

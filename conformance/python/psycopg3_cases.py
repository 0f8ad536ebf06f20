"""psycopg 3 against DuckMesh: prints one JSON object {case: observed value} (see psycopg2_cases.py)."""
import datetime
import decimal
import json
import sys
import uuid

import psycopg

host, port, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conn = psycopg.connect(host=host, port=port, user="tester", dbname=db)
out = {}


def case(name):
    def wrap(fn):
        try:
            out[name] = fn()
        except psycopg.Error as e:
            conn.rollback()
            out[name] = {"error": f"{e.sqlstate} {e}".strip()}
        return fn

    return wrap


def plain(v):
    if isinstance(v, (decimal.Decimal, datetime.date, datetime.datetime, datetime.time, uuid.UUID, datetime.timedelta)):
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


@case("create")
def _():
    conn.execute("CREATE TABLE m (id BIGINT PRIMARY KEY, name TEXT, v DOUBLE PRECISION, d DATE, u UUID, tags INTEGER[], n NUMERIC(12,4), b BYTEA, ts TIMESTAMPTZ)")
    conn.commit()
    return "ok"


ROW = (1, "one", 1.5, datetime.date(2024, 2, 29), uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), [1, None, 3], decimal.Decimal("-12.3456"), b"\x00\xff", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc))


@case("params")
def _():
    conn.execute("INSERT INTO m VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", ROW)
    conn.commit()
    return plain(conn.execute("SELECT * FROM m WHERE id = %s", (1,)).fetchone())


@case("binary_params_and_results")
def _():
    cur = conn.cursor(binary=True)
    cur.execute("SELECT id, name, v, d, u, tags, n, b, ts FROM m WHERE id = %b", (1,))
    return plain(cur.fetchone())


@case("executemany")
def _():
    cur = conn.cursor()
    cur.executemany("INSERT INTO m (id, name, v) VALUES (%s, %s, %s)", [(i, f"n{i}", i / 2) for i in range(2, 22)])
    conn.commit()
    return list(conn.execute("SELECT count(*), sum(v) FROM m WHERE id BETWEEN 2 AND 21").fetchone())


@case("copy_in_text")
def _():
    cur = conn.cursor()
    with cur.copy("COPY m (id, name, v) FROM STDIN") as cp:
        cp.write_row((100, "tab\there", 0.25))
        cp.write_row((101, None, None))
    conn.commit()
    return [plain(r) for r in conn.execute("SELECT id, name, v FROM m WHERE id >= 100 ORDER BY id").fetchall()]


@case("copy_in_binary")
def _():
    cur = conn.cursor()
    with cur.copy("COPY m (id, name, d, n) FROM STDIN (FORMAT BINARY)") as cp:
        cp.set_types(["int8", "text", "date", "numeric"])
        cp.write_row((200, "bin", datetime.date(1999, 12, 31), decimal.Decimal("3.1416")))
    conn.commit()
    return plain(conn.execute("SELECT id, name, d, n FROM m WHERE id = 200").fetchone())


@case("copy_out_text")
def _():
    cur = conn.cursor()
    with cur.copy("COPY (SELECT id, name FROM m WHERE id IN (1, 100, 101) ORDER BY id) TO STDOUT") as cp:
        return [list(r) for r in cp.rows()]


@case("copy_out_binary")
def _():
    cur = conn.cursor()
    with cur.copy("COPY (SELECT id, name, v, u FROM m WHERE id = 1) TO STDOUT (FORMAT BINARY)") as cp:
        cp.set_types(["int8", "text", "float8", "uuid"])
        return [plain(r) for r in cp.rows()]


@case("named_cursor")
def _():
    with conn.cursor(name="srv") as sc:
        sc.itersize = 4
        sc.execute("SELECT id FROM m WHERE id < 100 ORDER BY id")
        ids = [r[0] for r in sc]
    conn.commit()
    return ids


@case("named_cursor_binary")
def _():
    with conn.cursor(name="srvb", binary=True) as sc:
        sc.execute("SELECT id, n, ts FROM m WHERE id = 1")
        row = sc.fetchone()
    conn.commit()
    return plain(row)


@case("pipeline")
def _():
    with conn.pipeline():
        a = conn.execute("SELECT 1 + 1")
        b = conn.execute("SELECT %s::text || 'x'", ("y",))
    return [a.fetchone()[0], b.fetchone()[0]]


@case("error_sqlstate")
def _():
    try:
        conn.execute("SELECT * FROM nope")
        return "no error"
    except psycopg.Error as e:
        conn.rollback()
        return e.sqlstate


print(json.dumps(out))

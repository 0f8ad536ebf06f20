"""psycopg2 against DuckMesh: prints one JSON object {case: observed value}; the conformance
test asserts the values. A failing case records {"error": "<sqlstate> <message>"} and the
script goes on, so one gap does not hide the others."""
import datetime
import decimal
import io
import json
import sys

import psycopg2

host, port, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conn = psycopg2.connect(host=host, port=port, user="tester", dbname=db)
out = {}


def case(name):
    def wrap(fn):
        try:
            out[name] = fn()
        except psycopg2.Error as e:
            conn.rollback()
            out[name] = {"error": f"{e.pgcode} {e.pgerror or e}".strip()}
        return fn

    return wrap


def plain(v):
    if isinstance(v, (decimal.Decimal, datetime.date, datetime.datetime, datetime.time)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


@case("create")
def _():
    cur = conn.cursor()
    cur.execute("CREATE TABLE ev (id BIGINT PRIMARY KEY, kind TEXT, amount NUMERIC(10,2), ts TIMESTAMP, tags TEXT[], ok BOOLEAN)")
    conn.commit()
    return "ok"


@case("params")
def _():
    cur = conn.cursor()
    cur.execute(
        "INSERT INTO ev VALUES (%s, %s, %s, %s, %s, %s)",
        (1, "it's", decimal.Decimal("9.99"), datetime.datetime(2024, 1, 2, 3, 4, 5), ["a", "b,c"], True),
    )
    conn.commit()
    cur.execute("SELECT id, kind, amount, ts, tags, ok FROM ev WHERE id = %(id)s AND kind = %(k)s", {"id": 1, "k": "it's"})
    return [plain(v) for v in cur.fetchone()]


@case("executemany")
def _():
    cur = conn.cursor()
    cur.executemany("INSERT INTO ev (id, kind, amount) VALUES (%s, %s, %s)", [(i, f"k{i}", decimal.Decimal(i) / 4) for i in range(2, 12)])
    conn.commit()
    cur.execute("SELECT count(*), sum(amount) FROM ev WHERE id BETWEEN 2 AND 11")
    return [plain(v) for v in cur.fetchone()]


@case("copy_from")
def _():
    cur = conn.cursor()
    cur.copy_from(io.StringIO("100\tcopied\t1.50\t\\N\t{x}\tt\n101\ttab\\there\t\\N\t2024-01-01 00:00:00\t\\N\tf\n"), "ev")
    conn.commit()
    cur.execute("SELECT id, kind, amount, ts, tags, ok FROM ev WHERE id >= 100 ORDER BY id")
    return [[plain(v) for v in r] for r in cur.fetchall()]


@case("copy_expert_csv_in")
def _():
    cur = conn.cursor()
    cur.copy_expert("COPY ev (id, kind) FROM STDIN WITH (FORMAT csv, HEADER)", io.StringIO('id,kind\n200,"a, b"\n201,""\n'))
    conn.commit()
    cur.execute("SELECT id, kind FROM ev WHERE id >= 200 ORDER BY id")
    return [list(r) for r in cur.fetchall()]


@case("copy_to")
def _():
    cur = conn.cursor()
    buf = io.StringIO()
    cur.copy_expert("COPY (SELECT id, kind, amount FROM ev WHERE id IN (1, 2, 100) ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)", buf)
    return buf.getvalue()


@case("copy_error")
def _():
    cur = conn.cursor()
    try:
        cur.copy_from(io.StringIO("300\tok\t1\n301\tx\tnot-a-number\n"), "ev", columns=("id", "kind", "amount"))
        return "no error"
    except psycopg2.Error as e:
        conn.rollback()
        cur.execute("SELECT count(*) FROM ev WHERE id >= 300")
        return [e.pgcode, e.diag.context, cur.fetchone()[0]]


@case("named_cursor")
def _():
    cur = conn.cursor(name="stream")
    cur.itersize = 3
    cur.execute("SELECT id FROM ev WHERE id < 100 ORDER BY id")
    ids = [r[0] for r in cur]
    cur.close()
    conn.commit()
    return ids


@case("named_cursor_fetchmany")
def _():
    cur = conn.cursor(name="fm")
    cur.execute("SELECT id, kind FROM ev WHERE id < 100 ORDER BY id")
    first = cur.fetchmany(2)
    rest = cur.fetchall()
    cur.close()
    conn.commit()
    return [len(first), first[0][0], len(rest), rest[-1][0]]


@case("error_and_recover")
def _():
    cur = conn.cursor()
    try:
        cur.execute("SELECT * FROM nope")
    except psycopg2.Error as e:
        code = e.pgcode
        conn.rollback()
    cur.execute("SELECT 1")
    return [code, cur.fetchone()[0]]


@case("server_version")
def _():
    return conn.server_version // 10000


print(json.dumps(out))

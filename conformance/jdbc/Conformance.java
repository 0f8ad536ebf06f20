import java.math.BigDecimal;
import java.sql.*;
import java.util.*;

/**
 * pgjdbc against DuckMesh. Each case prints one line "name|value"; the conformance test
 * (conformance/jdbc.test.ts) asserts the values. A failing case prints "name|ERROR sqlstate message"
 * and the program goes on, so one gap does not hide the others.
 *
 * Usage: java -cp postgresql.jar:. Conformance <jdbc-url>
 */
public class Conformance {
  interface Case {
    String run(Connection c) throws Exception;
  }

  static final Map<String, Case> CASES = new LinkedHashMap<>();

  static void out(String name, String value) {
    System.out.println(name + "|" + value.replace("\n", "\\n"));
  }

  public static void main(String[] args) throws Exception {
    String url = args[0];
    try (Connection c = DriverManager.getConnection(url)) {
      CASES.put("server_version", x -> x.getMetaData().getDatabaseProductName() + " " + x.getMetaData().getDatabaseMajorVersion());
      CASES.put("ddl", x -> {
        try (Statement s = x.createStatement()) {
          s.execute("CREATE TABLE jt (id BIGINT PRIMARY KEY, name TEXT NOT NULL, price NUMERIC(10,2), qty INTEGER, ok BOOLEAN, ts TIMESTAMP, d DATE, score DOUBLE PRECISION, u UUID)");
        }
        return "ok";
      });
      CASES.put("batch_insert", x -> {
        try (PreparedStatement p = x.prepareStatement("INSERT INTO jt (id, name, price, qty, ok, ts, d, score, u) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
          for (int i = 1; i <= 250; i++) {
            p.setLong(1, i);
            p.setString(2, "item-" + i);
            p.setBigDecimal(3, new BigDecimal(i).divide(new BigDecimal(4)));
            p.setInt(4, i * 2);
            p.setBoolean(5, i % 2 == 0);
            p.setTimestamp(6, Timestamp.valueOf("2024-03-04 05:06:07.123"));
            p.setDate(7, java.sql.Date.valueOf("2024-02-29"));
            p.setDouble(8, i / 8.0);
            p.setObject(9, UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a" + String.format("%02x", i % 256)));
            p.addBatch();
          }
          int[] counts = p.executeBatch();
          return counts.length + " " + Arrays.stream(counts).sum();
        }
      });
      CASES.put("typed_select", x -> {
        // Ten executions: pgjdbc switches to a named server-side statement (and binary results) after five.
        StringBuilder sb = new StringBuilder();
        try (PreparedStatement p = x.prepareStatement("SELECT id, name, price, qty, ok, ts, d, score, u FROM jt WHERE id = ?")) {
          for (int k = 0; k < 10; k++) {
            p.setLong(1, 7);
            try (ResultSet r = p.executeQuery()) {
              r.next();
              String row = r.getLong(1) + "," + r.getString(2) + "," + r.getBigDecimal(3) + "," + r.getInt(4) + "," + r.getBoolean(5) + ","
                  + r.getTimestamp(6) + "," + r.getDate(7) + "," + r.getDouble(8) + "," + r.getObject(9);
              if (k == 0) sb.append(row);
              else if (!sb.toString().equals(row)) return "changed at " + k + ": " + row;
            }
          }
        }
        return sb.toString();
      });
      CASES.put("get_tables", x -> {
        List<String> out = new ArrayList<>();
        try (ResultSet r = x.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"})) {
          while (r.next()) out.add(r.getString("TABLE_SCHEM") + "." + r.getString("TABLE_NAME") + ":" + r.getString("TABLE_TYPE") + ":" + r.getString("REMARKS"));
        }
        return String.join(";", out);
      });
      CASES.put("get_columns", x -> {
        List<String> out = new ArrayList<>();
        try (ResultSet r = x.getMetaData().getColumns(null, "public", "jt", "%")) {
          while (r.next()) {
            out.add(r.getString("COLUMN_NAME") + ":" + r.getInt("DATA_TYPE") + ":" + r.getString("TYPE_NAME") + ":" + r.getInt("COLUMN_SIZE") + ":"
                + r.getInt("DECIMAL_DIGITS") + ":" + r.getString("IS_NULLABLE") + ":" + r.getInt("ORDINAL_POSITION"));
          }
        }
        return String.join(";", out);
      });
      CASES.put("get_primary_keys", x -> {
        List<String> out = new ArrayList<>();
        try (ResultSet r = x.getMetaData().getPrimaryKeys(null, "public", "jt")) {
          while (r.next()) out.add(r.getString("COLUMN_NAME") + ":" + r.getInt("KEY_SEQ") + ":" + r.getString("PK_NAME"));
        }
        return String.join(";", out);
      });
      CASES.put("get_schemas", x -> {
        List<String> out = new ArrayList<>();
        try (ResultSet r = x.getMetaData().getSchemas()) {
          while (r.next()) out.add(r.getString("TABLE_SCHEM"));
        }
        Collections.sort(out);
        return String.join(";", out);
      });
      CASES.put("get_type_info", x -> {
        Map<String, Integer> types = new TreeMap<>();
        try (ResultSet r = x.getMetaData().getTypeInfo()) {
          while (r.next()) types.put(r.getString("TYPE_NAME"), r.getInt("DATA_TYPE"));
        }
        StringBuilder sb = new StringBuilder();
        for (String t : new String[] {"bool", "int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar", "bytea", "date", "time", "timestamp", "timestamptz", "uuid"}) {
          sb.append(t).append("=").append(types.get(t)).append(";");
        }
        return sb.toString();
      });
      CASES.put("fetch_size_streaming", x -> {
        x.setAutoCommit(false);
        long n = 0, sum = 0;
        try (Statement s = x.createStatement()) {
          s.setFetchSize(100);
          try (ResultSet r = s.executeQuery("SELECT i FROM range(0, 20000) t(i)")) {
            while (r.next()) {
              n++;
              sum += r.getLong(1);
            }
          }
        }
        x.commit();
        x.setAutoCommit(true);
        return n + " " + sum;
      });
      CASES.put("cancel", x -> {
        try (Statement s = x.createStatement()) {
          Thread t = new Thread(() -> {
            try {
              Thread.sleep(500);
              s.cancel();
            } catch (Exception e) {
              // ignore
            }
          });
          t.start();
          try {
            s.executeQuery("SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3");
            return "not cancelled";
          } catch (SQLException e) {
            t.join();
            return e.getSQLState();
          }
        }
      });
      CASES.put("query_timeout", x -> {
        try (Statement s = x.createStatement()) {
          s.setQueryTimeout(1);
          s.executeQuery("SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3");
          return "no timeout";
        } catch (SQLException e) {
          return e.getSQLState();
        }
      });
      CASES.put("after_cancel_alive", x -> {
        try (Statement s = x.createStatement(); ResultSet r = s.executeQuery("SELECT count(*), sum(qty) FROM jt")) {
          r.next();
          return r.getLong(1) + " " + r.getLong(2);
        }
      });
      CASES.put("error_sqlstate", x -> {
        try (Statement s = x.createStatement()) {
          s.executeQuery("SELECT * FROM missing_table");
          return "no error";
        } catch (SQLException e) {
          return e.getSQLState();
        }
      });
      CASES.put("transaction_rollback", x -> {
        x.setAutoCommit(false);
        try (Statement s = x.createStatement()) {
          s.executeUpdate("INSERT INTO jt (id, name) VALUES (9999, 'rolled back')");
          x.rollback();
          x.setAutoCommit(true);
          try (ResultSet r = s.executeQuery("SELECT count(*) FROM jt WHERE id = 9999")) {
            r.next();
            return String.valueOf(r.getLong(1));
          }
        }
      });
      CASES.put("result_set_metadata", x -> {
        try (Statement s = x.createStatement(); ResultSet r = s.executeQuery("SELECT id, name, price, ts FROM jt LIMIT 1")) {
          ResultSetMetaData m = r.getMetaData();
          StringBuilder sb = new StringBuilder();
          for (int i = 1; i <= m.getColumnCount(); i++) sb.append(m.getColumnName(i)).append(":").append(m.getColumnTypeName(i)).append(";");
          return sb.toString();
        }
      });
      CASES.put("comment", x -> {
        try (Statement s = x.createStatement()) {
          s.execute("COMMENT ON TABLE jt IS 'jdbc table'");
        }
        return "ok";
      });
      CASES.put("get_tables_remarks", CASES.get("get_tables"));
      CASES.put("view_ddl", x -> {
        try (Statement s = x.createStatement()) {
          s.execute("CREATE VIEW jv AS SELECT id, name, price FROM jt WHERE ok");
          s.execute("COMMENT ON VIEW jv IS 'jdbc view'");
        }
        return "ok";
      });
      CASES.put("get_views", x -> {
        List<String> out = new ArrayList<>();
        try (ResultSet r = x.getMetaData().getTables(null, null, "%", new String[] {"VIEW"})) {
          while (r.next()) out.add(r.getString("TABLE_SCHEM") + "." + r.getString("TABLE_NAME") + ":" + r.getString("TABLE_TYPE") + ":" + r.getString("REMARKS"));
        }
        return String.join(";", out);
      });
      CASES.put("get_view_columns", x -> {
        List<String> out = new ArrayList<>();
        try (ResultSet r = x.getMetaData().getColumns(null, "public", "jv", "%")) {
          while (r.next()) {
            out.add(r.getString("COLUMN_NAME") + ":" + r.getInt("DATA_TYPE") + ":" + r.getString("TYPE_NAME") + ":" + r.getInt("COLUMN_SIZE") + ":"
                + r.getInt("DECIMAL_DIGITS") + ":" + r.getString("IS_NULLABLE") + ":" + r.getInt("ORDINAL_POSITION"));
          }
        }
        return String.join(";", out);
      });
      CASES.put("view_rows", x -> {
        try (Statement s = x.createStatement(); ResultSet r = s.executeQuery("SELECT count(*), sum(price) FROM jv")) {
          r.next();
          return r.getLong(1) + " " + r.getBigDecimal(2);
        }
      });
      for (Map.Entry<String, Case> e : CASES.entrySet()) {
        try {
          out(e.getKey(), e.getValue().run(c));
        } catch (SQLException ex) {
          out(e.getKey(), "ERROR " + ex.getSQLState() + " " + ex.getMessage());
          if (!c.getAutoCommit()) {
            c.rollback();
            c.setAutoCommit(true);
          }
        } catch (Exception ex) {
          out(e.getKey(), "ERROR " + ex);
        }
      }
    }
  }
}

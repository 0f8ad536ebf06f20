/** The OpenAPI 3.1 description served at /v1/openapi.json. */
export function openApiDocument(): Record<string, unknown> {
  const receipt = {
    type: 'object',
    required: ['token', 'first_seq', 'last_seq', 'rows'],
    properties: {
      token: { type: 'string', description: 'Visibility token; pass it as min_visibility_token (HTTP) or SET duckmesh.min_visibility_token (pg-wire).' },
      first_seq: { type: 'integer' },
      last_seq: { type: 'integer' },
      rows: { type: 'integer' },
      snapshot_id: { type: 'integer', description: 'Present on 200 (waited for visibility).' },
    },
  };
  const error = {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: { type: 'string', description: 'SQLSTATE' },
          message: { type: 'string' },
          row: { type: 'integer' },
          column: { type: 'string' },
          detail: { type: 'string' },
        },
      },
    },
  };
  const auth = [{ basic: [] }, {}];
  return {
    openapi: '3.1.0',
    info: { title: 'DuckMesh HTTP API', version: '1' },
    components: {
      securitySchemes: { basic: { type: 'http', scheme: 'basic', description: 'Required unless the server runs with trust auth (loopback only).' } },
      schemas: { Receipt: receipt, Error: error },
    },
    paths: {
      '/v1/tables/{table}/rows': {
        post: {
          summary: 'Ingest a batch of rows as one logical write',
          security: auth,
          parameters: [
            { name: 'table', in: 'path', required: true, schema: { type: 'string' }, description: 'table or schema.table' },
            { name: 'op', in: 'query', schema: { type: 'string', enum: ['append', 'upsert', 'delete'], default: 'append' } },
            { name: 'wait_for_visibility', in: 'query', schema: { type: 'boolean', default: false } },
            { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } },
            { name: 'X-DuckMesh-Tenant', in: 'header', schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/x-ndjson': { schema: { type: 'string' } },
              'application/json': { schema: { type: 'array', items: { type: 'object' } } },
            },
          },
          responses: {
            '200': { description: 'Durable and visible', content: { 'application/json': { schema: { $ref: '#/components/schemas/Receipt' } } } },
            '202': { description: 'Durable (not yet visible)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Receipt' } } } },
            '400': { description: 'Bad row (names row and column); nothing written', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
            '401': { description: 'Authentication required or failed' },
            '403': { description: 'Tenant not allowed for this user' },
            '404': { description: 'Unknown table' },
            '413': { description: 'Body over the size limit' },
            '422': { description: 'Idempotency key reused with a different payload' },
            '429': { description: 'Rate limit; see Retry-After' },
          },
        },
      },
      '/v1/query': {
        post: {
          summary: 'Run one read-only SQL statement',
          security: auth,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['sql'],
                  properties: {
                    sql: { type: 'string' },
                    params: { type: 'array' },
                    min_visibility_token: { type: 'string' },
                    snapshot_id: { type: 'integer' },
                    as_of: { type: 'string', format: 'date-time' },
                    max_rows: { type: 'integer' },
                    timeout_ms: { type: 'integer' },
                  },
                },
              },
            },
          },
          responses: {
            '200': { description: 'Rows', content: { 'application/json': { schema: { type: 'object', properties: { columns: { type: 'array' }, rows: { type: 'array' }, row_count: { type: 'integer' }, truncated: { type: 'boolean' }, snapshot_id: { type: 'integer' } } } } } },
            '400': { description: 'Bad statement', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
            '504': { description: 'Visibility timeout (DM001) or statement timeout (57014)' },
          },
        },
      },
      '/v1/snapshots': { get: { summary: 'Newest snapshots and the bus head', security: auth, responses: { '200': { description: 'Snapshots' } } } },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'alive' } } } },
      '/readyz': { get: { summary: 'Readiness (bus, catalog, worker)', responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition' } } } },
    },
  };
}

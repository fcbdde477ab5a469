#!/usr/bin/env node
// Lints Cypher statements with Neo4j's own parser and semantic analysis
// (@neo4j-cypher/language-support, `lintCypherQuery`). See README.md.
//
// stdin:  {"schema": {...}, "statements": [{"id": ..., "query": ..., "parameters": [...]}]}
// stdout: {"checked": N, "errors": [...], "warnings": [...]}
// exit:   0 = no error-severity diagnostic, 1 = at least one, 2 = bad input / crash.

// The library embeds Neo4j's Java front end compiled to JavaScript; its
// System.out goes to console.info, which Node writes to stdout. Send every
// console method to stderr *before* the library is loaded so that stdout
// carries nothing but our JSON document.
const stdoutWrite = process.stdout.write.bind(process.stdout);
for (const method of ['log', 'info', 'debug', 'warn', 'trace', 'dir']) {
  console[method] = (...args) => console.error(...args);
}

const CYPHER_VERSIONS = ['CYPHER 5', 'CYPHER 25'];
// Namespaces of procedures that ship with Neo4j itself (the package's
// reference registry also holds APOC and GDS, which are plugins).
const BUILTIN_PROCEDURE = /^(db|dbms|tx|cdc)\./;
// Built-in Cypher 25 functions that Neo4j's semantic analysis bundled in the
// package knows (it is newer than the registry dump) but the dump lacks; without
// these they would be reported as "not present in the database". Stubs are safe
// for built-ins: arity and types are still checked by the semantic analysis.
const CYPHER25_EXTRA_BUILTINS = [
  'cardinality', 'coll.flatten', 'coll.insert', 'coll.max', 'coll.min', 'coll.remove',
  'coll.sort', 'cosh', 'coth', 'sinh', 'tanh', 'string.indexOf', 'string.join',
  'string.regexReplace', 'uuid.leastSignificantBits', 'uuid.mostSignificantBits',
  'vector_dimension_count',
];
const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

function fail(message) {
  process.stderr.write(`cypher-lint: ${message}\n`);
  process.exit(2);
}

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function stringList(value, where) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    fail(`${where} must be a list of strings`);
  }
  return value;
}

// Function and procedure registries per Cypher version. The package ships a
// registry dumped from a real Neo4j server (testData.mockSchema, exported from
// its public API); we keep the built-in functions and procedures from it, plus
// any plugin ones the input asks for by name. Passing a registry at all is what
// turns on "Function X is not present in the database" errors.
function buildRegistries(reference, extraFunctions, extraProcedures) {
  const functions = {};
  const procedures = {};
  for (const version of CYPHER_VERSIONS) {
    const refFns = reference.functions?.[version] ?? {};
    const refProcs = reference.procedures?.[version] ?? {};
    functions[version] = Object.fromEntries(
      Object.entries(refFns).filter(([, fn]) => fn.isBuiltIn),
    );
    procedures[version] = Object.fromEntries(
      Object.entries(refProcs).filter(([name]) => BUILTIN_PROCEDURE.test(name)),
    );
    if (version === 'CYPHER 25') {
      for (const name of CYPHER25_EXTRA_BUILTINS) {
        functions[version][name] ??= {
          name, category: '', description: '', signature: '', isBuiltIn: true,
          argumentDescription: [], returnDescription: 'ANY', aggregating: false,
          isDeprecated: false,
        };
      }
    }
    for (const name of extraFunctions) {
      if (refFns[name]) functions[version][name] = refFns[name];
    }
    for (const name of extraProcedures) {
      if (refProcs[name]) procedures[version][name] = refProcs[name];
    }
  }
  // A stub signature would make every call to a plugin function/procedure an
  // arity error, so only names the registry knows (APOC, GDS) are accepted.
  for (const name of extraFunctions) {
    if (!CYPHER_VERSIONS.some((v) => functions[v][name])) {
      fail(`schema.functions: ${name} is not in the package's function registry`);
    }
  }
  for (const name of extraProcedures) {
    if (!CYPHER_VERSIONS.some((v) => procedures[v][name])) {
      fail(`schema.procedures: ${name} is not in the package's procedure registry`);
    }
  }
  return { functions, procedures };
}

// Neo4j runs exactly one statement per query ("Expected exactly one statement
// per query but got: N"); lintCypherQuery happily lints several.
function countStatements(parseStatementsStrs, query) {
  return parseStatementsStrs(query).filter((s) => {
    const code = s
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/[^\n]*/g, '')
      .replace(/;/g, '');
    return code.trim().length > 0;
  }).length;
}

async function main() {
  let input;
  try {
    input = JSON.parse(await readStdin());
  } catch (e) {
    fail(`stdin is not valid JSON: ${e.message}`);
  }
  if (!input || typeof input !== 'object') fail('input must be a JSON object');
  const schema = input.schema ?? {};
  const statements = input.statements;
  if (!Array.isArray(statements)) fail('"statements" must be a list');

  const { lintCypherQuery, parseStatementsStrs, testData } = await import(
    '@neo4j-cypher/language-support'
  );

  const { functions, procedures } = buildRegistries(
    testData.mockSchema,
    stringList(schema.functions, 'schema.functions'),
    stringList(schema.procedures, 'schema.procedures'),
  );
  const globalParams = stringList(schema.parameters, 'schema.parameters');
  const dbSchema = {
    labels: stringList(schema.labels, 'schema.labels'),
    relationshipTypes: stringList(schema.relationshipTypes, 'schema.relationshipTypes'),
    propertyKeys: stringList(schema.propertyKeys, 'schema.propertyKeys'),
    databaseNames: stringList(schema.databaseNames ?? ['neo4j', 'system'], 'schema.databaseNames'),
    aliasNames: stringList(schema.aliasNames, 'schema.aliasNames'),
    userNames: [],
    roleNames: [],
    functions,
    procedures,
    parameters: {},
  };
  if (schema.defaultLanguage !== undefined) {
    if (!CYPHER_VERSIONS.includes(schema.defaultLanguage)) {
      fail(`schema.defaultLanguage must be one of ${CYPHER_VERSIONS.join(', ')}`);
    }
    dbSchema.defaultLanguage = schema.defaultLanguage;
  }

  const errors = [];
  const warnings = [];
  const cache = new Map();
  statements.forEach((stmt, index) => {
    if (!stmt || typeof stmt.query !== 'string') fail(`statements[${index}].query must be a string`);
    const id = stmt.id ?? String(index);
    const params = {};
    // The library only checks `parameters[name] !== undefined`; values are unused.
    for (const name of globalParams) params[name] = null;
    for (const name of stringList(stmt.parameters, `statements[${index}].parameters`)) params[name] = null;
    dbSchema.parameters = params;

    // Linting costs ~15-130 ms per statement, so identical statements
    // (same text, same declared parameters) are linted once.
    const cacheKey = JSON.stringify([stmt.query, Object.keys(params).sort()]);
    let diagnostics = cache.get(cacheKey);
    if (!diagnostics) {
      diagnostics = lintCypherQuery(stmt.query, dbSchema, {
        consoleCommandsEnabled: false,
      }).diagnostics;
      cache.set(cacheKey, diagnostics);
    }
    for (const d of diagnostics) {
      const entry = {
        id,
        query: stmt.query,
        message: d.message,
        severity: SEVERITY[d.severity] ?? String(d.severity),
        offsets: d.offsets,
        range: d.range,
      };
      (d.severity === 1 ? errors : warnings).push(entry);
    }
    const n = countStatements(parseStatementsStrs, stmt.query);
    if (n !== 1) {
      errors.push({
        id,
        query: stmt.query,
        message: `Expected exactly one statement per query but got: ${n}`,
        severity: 'error',
        offsets: { start: 0, end: stmt.query.length },
        range: null,
      });
    }
  });

  stdoutWrite(JSON.stringify({ checked: statements.length, errors, warnings }, null, 2) + '\n');
  process.exitCode = errors.length > 0 ? 1 : 0;
}

main().catch((e) => fail(e?.stack ?? String(e)));

import { lintCypherQuery, testData, parseStatementsStrs, formatQuery } from '@neo4j-cypher/language-support';
import fs from 'fs';
const d = JSON.parse(fs.readFileSync('example.json','utf8'));
const params = {key:1,props:1,rows:1,start:1,end:1,p0:1,p1:1,skip:1,limit:1};
const ms = testData.mockSchema;
const builtin = (v) => Object.fromEntries(Object.entries(ms.functions[v]).filter(([k,f]) => f.isBuiltIn));
const schemas = { bare: {parameters: params}, fns: {parameters: params, functions: {'CYPHER 5': builtin('CYPHER 5')}} };
for (const [name, sc] of Object.entries(schemas)) {
  for (const s of d.statements) {
    lintCypherQuery(s.query, sc);
    const t = performance.now(); const N=20;
    for (let i=0;i<N;i++) lintCypherQuery(s.query + ' //' + i, sc);
    const t2 = performance.now();
    for (let i=0;i<N;i++) parseStatementsStrs(s.query + ' //' + i);
    const t3 = performance.now();
    console.log(name, s.id, ((t2-t)/N).toFixed(1)+'ms lint', ((t3-t2)/N).toFixed(1)+'ms split');
  }
}

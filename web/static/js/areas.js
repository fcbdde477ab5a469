// The area picker of the county coordinator's pages: the areas in the user's scope, indented.

import { api } from "./api.js";
import { h } from "./dom.js";
import { label } from "./i18n.js";

/** Fill `select` with the areas in scope (county, townships, villages) and return code -> name of
 * every area the tree shows. `withAll` adds a first option "" (all of my areas). */
export async function areaPicker(select, { withAll = null } = {}) {
  const names = new Map();
  if (withAll) select.append(h("option", { value: "" }, withAll));
  const walk = (nodes, depth) => {
    for (const node of nodes) {
      names.set(node.code, node.name);
      if (node.in_scope && node.level !== "grid") {
        const indent = "— ".repeat(depth);
        select.append(h("option", { value: node.code }, `${indent}${node.name}（${label("AreaLevel", node.level)}）`));
      }
      walk(node.children || [], node.in_scope ? depth + 1 : depth);
    }
  };
  walk(await api("/areas"), 0);
  return names;
}

"use strict";
// Node, CommonJS (`require("tls-compliance")`): the `nodejs` build, plus no-op `init`/`initSync`
// so that code written for every environment runs here too.
const wasm = require("./node/tls_compliance.js");

module.exports = Object.assign({}, wasm, {
  default: async function init() {},
  initSync: function initSync() {},
});

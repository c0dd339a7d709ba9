import { fileURLToPath } from "node:url";

export default {
  mode: "production",
  entry: "./src/main.js",
  output: {
    path: fileURLToPath(new URL("./dist/", import.meta.url)),
    filename: "main.js",
    publicPath: "/dist/",
    clean: true,
  },
  // The wasm module is about 300 KB; webpack's size hint is for JS bundles.
  performance: { hints: false },
};

import { defineConfig } from "vite";

// The defaults build this app; the file only pins the output folder and
// turns off the public folder, which the app does not have.
export default defineConfig({
  publicDir: false,
  build: { outDir: "dist", emptyOutDir: true },
});

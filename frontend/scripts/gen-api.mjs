// Writes src/api/schema.d.ts from the API's OpenAPI schema, as `manage.py spectacular` makes it.
// LEADVIBE_PYTHON overrides the interpreter (default: the repository's .venv).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const frontendDir = fileURLToPath(new URL("..", import.meta.url));
const repoDir = join(frontendDir, "..");
const python = process.env.LEADVIBE_PYTHON ?? join(repoDir, ".venv", "bin", "python");
const workDir = mkdtempSync(join(tmpdir(), "leadvibe-schema-"));
const schemaFile = join(workDir, "schema.yml");

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: "inherit" });
  if (result.status !== 0) {
    rmSync(workDir, { recursive: true, force: true });
    console.error(`gen:api: ${command} ${args.join(" ")} failed`);
    process.exit(result.status ?? 1);
  }
}

run(python, ["manage.py", "spectacular", "--file", schemaFile], repoDir);
run(
  join(frontendDir, "node_modules", ".bin", "openapi-typescript"),
  [schemaFile, "--output", join(frontendDir, "src", "api", "schema.d.ts")],
  frontendDir,
);
rmSync(workDir, { recursive: true, force: true });

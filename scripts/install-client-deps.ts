// Installs what the Python and Go clients' tests need (npm test runs this once before any test starts): a virtual
// environment with the Python client and its test tools, and the Go client's modules. Each is redone only when its
// manifest changed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the Python client's virtual environment lives (git-ignored). */
export const PYTHON_VENV = join('clients', 'python', '.venv');
export const VENV_PYTHON = join(PYTHON_VENV, 'bin', 'python');

const digest = (...files: string[]) =>
  createHash('sha256')
    .update(files.map((file) => readFileSync(file)).join('\0'))
    .digest('hex');

function run(command: string, args: string[], cwd?: string): void {
  execFileSync(command, args, { stdio: 'inherit', ...(cwd && { cwd }) });
}

function installPython(): void {
  const stamp = join(PYTHON_VENV, '.plum-installed');
  const wanted = digest(join('clients', 'python', 'pyproject.toml'));
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return;
  console.log('Python client: virtual environment in clients/python/.venv (temporalio, cryptography, httpx, pytest)');
  run('python3', ['-m', 'venv', PYTHON_VENV]);
  run(join(PYTHON_VENV, 'bin', 'pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '-e',
    'clients/python[test]',
  ]);
  writeFileSync(stamp, wanted);
}

function installGo(): void {
  const dir = join('clients', 'go');
  if (!existsSync(join(dir, 'go.mod'))) return;
  console.log('Go client: go mod download');
  run('go', ['mod', 'download'], dir);
}

if (require.main === module) {
  try {
    installPython();
    installGo();
  } catch (error) {
    console.error(`installing the clients' test dependencies failed: ${(error as Error).message}`);
    process.exit(1);
  }
}

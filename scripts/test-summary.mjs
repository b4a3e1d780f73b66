#!/usr/bin/env node
// The last line of .ci/run: `N passed, N failed` from Vitest's JSON report
// and npm test's exit status. Vitest's own totals hide a file that failed
// without a failed test (an import error, a failed hook), and a crash can
// leave no report at all; both count as failures here, but a failed test is
// never counted a second time through its file or describe block.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export function summarize(report, exitStatus) {
  const files = report?.testResults ?? [];
  const failedFilesWithoutTests = files.filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  let failed = (report?.numFailedTests ?? 0) + failedFilesWithoutTests;
  if (failed === 0 && (exitStatus !== 0 || report?.success !== true)) failed = 1;
  return { passed: report?.numPassedTests ?? 0, failed };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let report = null;
  try {
    report = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  } catch {
    // No report: the exit status decides.
  }
  const { passed, failed } = summarize(report, Number(process.argv[3]));
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

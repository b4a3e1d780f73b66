// The `N passed, N failed` line .ci/run prints last: one failed test is one
// failure (CI once printed "1659 passed, 3 failed" for a single failed test,
// counting its file and describe block too), while a file that failed to
// import or a crash without a report still fails the run.
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { summarize } from '../scripts/test-summary.mjs';

const file = (status: string, tests: string[]) => ({ status, assertionResults: tests.map((s) => ({ status: s })) });

describe('the CI summary line', () => {
  it('counts one failed test once, not again through its file and suites', () => {
    const report = { numPassedTests: 1659, numFailedTests: 1, numFailedTestSuites: 2, success: false, testResults: [file('failed', ['passed', 'failed']), file('passed', ['passed'])] };
    expect(summarize(report, 1)).toEqual({ passed: 1659, failed: 1 });
  });

  it('counts a file that failed without a failed test (an import error)', () => {
    const report = { numPassedTests: 10, numFailedTests: 0, numFailedTestSuites: 1, success: false, testResults: [file('failed', []), file('passed', ['passed'])] };
    expect(summarize(report, 1)).toEqual({ passed: 10, failed: 1 });
  });

  it('fails a run that left no report or exited non-zero with everything green', () => {
    expect(summarize(null, 1)).toEqual({ passed: 0, failed: 1 });
    expect(summarize({ numPassedTests: 3, numFailedTests: 0, success: true, testResults: [] }, 1)).toEqual({ passed: 3, failed: 1 });
    expect(summarize({ numPassedTests: 3, numFailedTests: 0, success: true, testResults: [] }, 0)).toEqual({ passed: 3, failed: 0 });
  });
});

'use strict';

/**
 * Prints the run's totals as one plain line, "N passed, N failed, N skipped",
 * after Jest's own summary, for tools that read a test run's closing line.
 */
class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    process.stderr.write(`${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped\n`);
  }
}

module.exports = PlainSummaryReporter;

'use strict';

/**
 * Prints the run's totals as one plain line, "N passed, N failed, N skipped",
 * as the very last line of output, for tools that read a test run's closing line.
 * Jest's own summary is written after the reporters' onRunComplete, so the line
 * waits for the process to exit.
 */
class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}

module.exports = PlainSummaryReporter;

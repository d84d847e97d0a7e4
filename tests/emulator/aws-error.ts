/**
 * An error the emulator returns to a client, with AWS's error code. Each
 * protocol (JSON for ECR, XML for STS) renders it in its own format.
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    /** Whether the client caused it (STS writes Sender or Receiver in the error). */
    readonly senderFault = statusCode < 500,
  ) {
    super(message);
    this.name = code;
  }
}

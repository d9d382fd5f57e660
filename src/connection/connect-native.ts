import type { NativeConnectionOptions } from '@temporalio/worker';
import { NativeConnection } from '@temporalio/worker';
import type { ConnectionDiagnosis } from '../client/connection-diagnosis';
import { credentialsRefused, diagnoseConnection } from '../client/connection-diagnosis';

/** A worker could not connect to Temporal; the message says why in one line and which setting fixes it. */
export class TemporalConnectError extends Error {
  override readonly name = 'TemporalConnectError';
  constructor(
    readonly address: string,
    readonly diagnosis: ConnectionDiagnosis | undefined,
    cause: unknown,
  ) {
    const said = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(
      diagnosis
        ? `cannot connect to Temporal at ${address}: ${diagnosis.problem}; fix: ${diagnosis.fix}`
        : `cannot connect to Temporal at ${address}: ${said}`,
      { cause },
    );
  }
}

/**
 * `NativeConnection.connect`, whose failures (a raw `tonic::transport::Error`) are turned into one line naming the
 * cause and the setting: a closed port, TLS expected or not, an untrusted or misnamed server certificate, a missing or
 * refused client certificate, refused API key.
 */
export async function connectNative(options: NativeConnectionOptions): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(options);
  } catch (error) {
    const address = options.address ?? 'localhost:7233';
    const refused = /Unauthenticated|PermissionDenied|code: 16|code: 7\b/.test(String(error));
    const diagnosis = refused
      ? credentialsRefused({ code: /PermissionDenied|code: 7\b/.test(String(error)) ? 7 : 16, message: String(error) })
      : await diagnoseConnection(options);
    throw new TemporalConnectError(address, diagnosis, error);
  }
}

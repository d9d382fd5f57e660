import type { Interceptor } from '@grpc/grpc-js';
import { InterceptingCall, Metadata, status } from '@grpc/grpc-js';

/**
 * A gRPC interceptor that answers the first `count` calls of the service method `method` itself with `code`: a fault
 * on the wire between a real client and a real server, which stays untouched.
 */
export function refuseFirstCalls(
  method: string,
  count: number,
  code: status = status.FAILED_PRECONDITION,
): { interceptor: Interceptor; refused: () => number } {
  let refused = 0;
  const interceptor: Interceptor = (options, nextCall) => {
    if (!options.method_definition.path.endsWith(`/${method}`) || refused >= count) {
      return new InterceptingCall(nextCall(options));
    }
    refused++;
    return new InterceptingCall(nextCall(options), {
      start(_metadata, listener) {
        listener.onReceiveStatus({
          code,
          details: `refused on the wire by the test: ${method}`,
          metadata: new Metadata(),
        });
      },
      sendMessage() {},
      halfClose() {},
    });
  };
  return { interceptor, refused: () => refused };
}

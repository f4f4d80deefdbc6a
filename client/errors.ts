/** Errors a caller of FleetClient can branch on by `type`, with messages a person can act on. */
export type FleetErrorType = 'InvalidSpec' | 'AlreadyRunning' | 'NotFound' | 'NotRunning' | 'RescaleInProgress' | 'RescaleFailed'
  /** A jar connection's jar in the tenant's artifact area is not the one its digest names. */
  | 'JarDigestMismatch';

export class FleetError extends Error {
  constructor(readonly type: FleetErrorType, message: string) {
    super(message);
    this.name = type;
  }
}

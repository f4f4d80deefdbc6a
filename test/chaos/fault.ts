import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import { z } from 'zod';

/**
 * One fault of the matrix: the worker process SIGKILLs itself at one activity boundary of one
 * workflow, as an OOM kill or a lost node would end it. `start`: the activity was handed to this
 * worker and nothing of it ran; `end`: its work is done and its result was never reported. Either
 * way Temporal retries it on another worker once its heartbeat times out.
 */
export const faultSchema = z.object({
  workflowType: z.string(),
  activityType: z.string(),
  /** 1 for the first time the workflow schedules this activity, 2 for the second... */
  occurrence: z.number().int().min(1),
  when: z.enum(['start', 'end']),
}).strict();

export type Fault = z.infer<typeof faultSchema>;

export const FAULT_ENV = 'FLEET_TEST_FAULT';

export function describeFault(fault: Fault): string {
  return `${fault.workflowType}: ${fault.when} of ${fault.activityType}#${fault.occurrence}`;
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered before kill() returns; this only satisfies the type checker.
  throw new Error('unreachable');
}

/** Counts first attempts per activity type of the target workflow type, and dies at the fault. */
export function faultInjector(fault: Fault): ActivityInterceptorsFactory {
  let seen = 0;
  return (ctx: Context) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
        const { workflowType, activityType, attempt } = ctx.info;
        const targeted = workflowType === fault.workflowType && activityType === fault.activityType && attempt === 1 && ++seen === fault.occurrence;
        if (targeted && fault.when === 'start') die();
        try {
          return await next(input);
        } finally {
          if (targeted) die();
        }
      },
    };
    return { inbound };
  };
}

import { resourceParams, type SizingQuestion } from '../../activities/runtime/local/resource-params';

/** A process of its own that asks for one sizing (the question as JSON in argv) and prints the answer. */
const question = JSON.parse(process.argv[2] ?? '') as SizingQuestion;
void resourceParams(question).then((answer) => process.stdout.write(JSON.stringify(answer)));

// One bundle for the run: the product's workflows and the fixtures only tests use.
export * from '../../workflows';
export * from '../fixtures/workflows';

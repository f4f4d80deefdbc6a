// The control plane is run-wide, started on first use by the global fixture.
export { kubernetesTestBed } from '../harness/global';

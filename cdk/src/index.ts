/**
 * CDK constructs for mrk-provider's three custom resource types (docs/reference.md sections 3-5). Each is a
 * `CustomResource` with the type and property names of the contract, checked at synth time.
 */
export { ServiceToken, MrkProviderProps, DEFAULT_SERVICE_TIMEOUT } from './service-token';
export {
  MrkProviderFunction,
  MrkProviderFunctionProps,
  ProviderLogLevel,
  ProviderResponseMode,
  FUNCTION_CODE_PATH,
} from './provider';
export { ReplicaKey, ReplicaKeyProps, ReplicaKeyInRegionOptions } from './replica-key';
export { ReplicaRegionSettings, ReplicaKeyPolicy } from './region-settings';
export { Refresh, REFRESH_CONTEXT_KEY } from './refresh';
export { CrossRegionParameter, CrossRegionParameterProps, CrossRegionParameterType } from './cross-region-parameter';
export { CrossRegionParameterReader, CrossRegionParameterReaderProps } from './cross-region-parameter-reader';
export { MrkProviderValidationError } from './validate';

// Validates rendered manifests against the Kubernetes (and Prometheus Operator) OpenAPI schemas shipped by
// kubernetes-models. Those schemas check types, enums and required fields but accept unknown fields, so the
// tests also assert the fields that matter one by one.
import type { Model, ModelData } from '@kubernetes-models/base';
import {
  PrometheusRule,
  ServiceMonitor,
  type IPrometheusRule,
  type IServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  Secret,
  Service,
  ServiceAccount,
  type IConfigMap,
  type ISecret,
  type IService,
  type IServiceAccount,
} from 'kubernetes-models/v1';

/** What every rendered object has; the tests narrow it to a kubernetes-models interface by kind. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
}

/** The kinds the chart renders, with their kubernetes-models interfaces. */
export interface KindMap {
  ConfigMap: IConfigMap;
  Secret: ISecret;
  Service: IService;
  ServiceAccount: IServiceAccount;
  Deployment: IDeployment;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  NetworkPolicy: INetworkPolicy;
  PodDisruptionBudget: IPodDisruptionBudget;
  ServiceMonitor: IServiceMonitor;
  PrometheusRule: IPrometheusRule;
}

type Validator = (data: KubeObject) => void;

function validator<T>(Ctor: new (data?: ModelData<T>) => Model<T>): Validator {
  return (data) => {
    new Ctor(data as unknown as ModelData<T>).validate();
  };
}

// Every kind the chart may render. A kind missing here fails the test instead of going unchecked.
const VALIDATORS: ReadonlyMap<string, Validator> = new Map([
  ['v1/ConfigMap', validator(ConfigMap)],
  ['v1/Secret', validator(Secret)],
  ['v1/Service', validator(Service)],
  ['v1/ServiceAccount', validator(ServiceAccount)],
  ['apps/v1/Deployment', validator(Deployment)],
  ['autoscaling/v2/HorizontalPodAutoscaler', validator(HorizontalPodAutoscaler)],
  ['networking.k8s.io/v1/NetworkPolicy', validator(NetworkPolicy)],
  ['policy/v1/PodDisruptionBudget', validator(PodDisruptionBudget)],
  ['monitoring.coreos.com/v1/ServiceMonitor', validator(ServiceMonitor)],
  ['monitoring.coreos.com/v1/PrometheusRule', validator(PrometheusRule)],
]);

/** Throws, naming the object, when it does not match its schema or its kind has none. */
export function validateObject(object: KubeObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const validate = VALIDATORS.get(key);
  if (validate === undefined) throw new Error(`no schema known for ${key} (${object.metadata.name})`);
  try {
    validate(object);
  } catch (error) {
    throw new Error(`${key} ${object.metadata.name} is invalid: ${String(error)}`, { cause: error });
  }
}

export function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null) return false;
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  return (
    typeof apiVersion === 'string' &&
    typeof kind === 'string' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof (metadata as Record<string, unknown>).name === 'string'
  );
}

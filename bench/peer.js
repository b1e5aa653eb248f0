// One cold invocation of a CDK custom-resource handler, as Lambda's Node.js runtime would run it: a
// fresh `node` process loads the handler module that aws-cdk-lib ships, calls it once with the event
// CloudFormation sent, and exits when the handler returns.
//
//   node bench/peer.js aws-custom-resource|ssm-writer EVENT.json MARKS.json
//
// - aws-custom-resource: aws-cdk-lib's `AwsCustomResource` handler. It PUTs the answer to ResponseURL
//   itself.
// - ssm-writer: aws-cdk-lib's cross-region SSM export writer. Its file only exports a `handler` that
//   returns; the CDK's `CustomResourceProvider` deploys it behind the `nodejs-entrypoint` wrapper
//   (copied in as `__entrypoint__.js`), which PUTs the answer. So this runs that same shipped
//   entrypoint, pointed at the writer.
//
// The one change to either: both PUT with `https.request` to the ResponseURL's host on port 443, and
// the local ResponseURL receiver speaks plain HTTP on its own port. So the answer PUT, and only it, goes
// through `http.request` to that port. Everything else (the AWS SDK v3 clients, which honour
// AWS_ENDPOINT_URL) is untouched.
//
// MARKS.json gets CLOCK_MONOTONIC timestamps (ns, the clock Python's time.monotonic reads) of when the
// handler module was loaded, called, and returned, and the process's peak RSS (VmHWM) at that point.
'use strict';

const loadStartedNs = process.hrtime.bigint();
const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');

const CDK = path.join(__dirname, 'node_modules', 'aws-cdk-lib');
const HANDLERS = {
  'aws-custom-resource': path.join(
    CDK, 'custom-resource-handlers', 'dist', 'custom-resources', 'aws-custom-resource-handler', 'index.js'),
  'ssm-writer': path.join(CDK, 'core', 'lib', 'dist', 'core', 'cross-region-ssm-writer-handler', 'index.js'),
};
const ENTRYPOINT = path.join(CDK, 'custom-resource-handlers', 'dist', 'core', 'nodejs-entrypoint-handler', 'index.js');

const [which, eventPath, marksPath] = process.argv.slice(2);
if (!HANDLERS[which] || !eventPath || !marksPath) {
  console.error('usage: node peer.js aws-custom-resource|ssm-writer EVENT.json MARKS.json');
  process.exit(2);
}
const event = JSON.parse(fs.readFileSync(eventPath, 'utf8'));

const responseUrl = new URL(event.ResponseURL);
const httpsRequest = https.request;
https.request = function request(options, callback) {
  if (options && options.method === 'PUT' && options.hostname === responseUrl.hostname) {
    return http.request({ ...options, port: responseUrl.port }, callback);
  }
  return httpsRequest.apply(this, arguments);
};

let handler;
if (which === 'ssm-writer') {
  const entrypoint = require(ENTRYPOINT);
  entrypoint.external.userHandlerIndex = HANDLERS[which];
  handler = entrypoint.handler;
} else {
  handler = require(HANDLERS[which]).handler;
}
const loadedNs = process.hrtime.bigint();

const deadline = Date.now() + 300_000;
const context = {
  awsRequestId: event.RequestId,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
  invokedFunctionArn: event.ServiceToken,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};

function vmHwmKib() {
  const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.split(/\s+/)[1]) : null;
}

function finish(code, error) {
  const marks = {
    vm_hwm_kib: vmHwmKib(),
    load_started_ns: String(loadStartedNs),
    loaded_ns: String(loadedNs),
    called_ns: String(calledNs),
    returned_ns: String(process.hrtime.bigint()),
    error: error ? String(error && error.stack ? error.stack : error) : null,
  };
  fs.writeFileSync(marksPath, JSON.stringify(marks));
  process.exit(code);
}

const calledNs = process.hrtime.bigint();
Promise.resolve()
  .then(() => handler(event, context))
  .then(() => finish(0, null), (error) => finish(1, error));

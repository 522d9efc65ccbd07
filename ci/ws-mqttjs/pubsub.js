// MQTT.js over WebSocket against a broker: for MQTT 3.1.1 and 5.0, connect, subscribe at QoS 1,
// publish at QoS 1 to the same topic and receive it back.  Exit 0 when both versions did.
//   usage: node pubsub.js ws://HOST:PORT/PATH
const mqtt = require('mqtt');
const url = process.argv[2];
const versions = [4, 5]; // protocol levels: 3.1.1, 5.0
let left = versions.length;
const fail = (v, why) => {
  console.error(`mqtt.js ${v === 4 ? '3.1.1' : '5.0'}: ${why}`);
  process.exit(1);
};
for (const v of versions) {
  const topic = `mqttspec/mqttjs/${v}`;
  const c = mqtt.connect(url, { protocolVersion: v, clientId: `mqttjs${v}`, reconnectPeriod: 0, connectTimeout: 3000 });
  c.on('error', (e) => fail(v, e.message));
  c.on('close', () => { if (!c.done) fail(v, 'connection closed'); });
  c.on('connect', () => c.subscribe(topic, { qos: 1 }, (err) => {
    if (err) fail(v, `subscribe: ${err.message}`);
    c.publish(topic, 'over websocket', { qos: 1 });
  }));
  c.on('message', (t, payload) => {
    if (t !== topic || payload.toString() !== 'over websocket') fail(v, `unexpected message on ${t}`);
    c.done = true;
    console.log(`mqtt.js ${v === 4 ? '3.1.1' : '5.0'}: published and received over ${url}`);
    c.end(false, () => { if (--left === 0) process.exit(0); });
  });
}
setTimeout(() => fail(versions[0], 'timed out after 10 s'), 10000);

#!/usr/bin/python3
"""Paho Python (Debian python3-paho-mqtt) as an MQTT client under test for ci/client-gate.sh.

One client run, shaped by its arguments so that each server-role scenario of
scenarios/client-tests/ sees the behaviour its description asks for: a publisher
of COUNT messages or a subscriber that stays for COUNT messages (0: until
stopped).  Everything protocol-related is left to the library (packet ids,
acknowledgements, reconnecting, resending): we only choose its options.
  usage: paho_client.py --port N (pub|sub) [-V 3.1.1|5.0] [-q QOS] [-i ID] [-c] ...
"""
import argparse
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

VERSIONS = {"3.1.1": mqtt.MQTTv311, "5.0": mqtt.MQTTv5}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("pub", "sub"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("-V", "--version", choices=VERSIONS, default="3.1.1")
    p.add_argument("-t", "--topic", default="mqttspec/t")
    p.add_argument("-q", "--qos", type=int, choices=(0, 1, 2), default=0)
    p.add_argument("-i", "--id", default="", help="client id (default: the library's own)")
    p.add_argument("-c", "--persistent", action="store_true",
                   help="keep the session: 3.1.1 CleanSession 0, 5.0 Clean Start 0 + Session Expiry 300 s")
    p.add_argument("-k", "--keepalive", type=int, default=60)
    p.add_argument("-r", "--retain", action="store_true")
    p.add_argument("-n", "--count", type=int, default=1,
                   help="pub: messages to send; sub: messages to receive and acknowledge (0 = until stopped)")
    p.add_argument("-m", "--message", default="hello")
    p.add_argument("-u", "--user")
    p.add_argument("-P", "--password")
    p.add_argument("--will-topic")
    p.add_argument("--will-payload", default="")
    p.add_argument("--will-qos", type=int, choices=(0, 1, 2), default=0)
    p.add_argument("--timeout", type=float, default=30, help="give up after this many seconds")
    return p.parse_args()


def make_client(a):
    v5 = a.version == "5.0"
    if v5:
        c = mqtt.Client(client_id=a.id, protocol=mqtt.MQTTv5)
    else:
        c = mqtt.Client(client_id=a.id, clean_session=not a.persistent, protocol=mqtt.MQTTv311)
    if a.user is not None:
        c.username_pw_set(a.user, a.password)
    if a.will_topic:
        c.will_set(a.will_topic, a.will_payload, a.will_qos)
    c.reconnect_delay_set(min_delay=1, max_delay=2)
    return c


def connect(c, a):
    if a.version == "5.0":
        props = None
        if a.persistent:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 300
        c.connect_async(a.host, a.port, a.keepalive, clean_start=not a.persistent, properties=props)
    else:
        c.connect_async(a.host, a.port, a.keepalive)


def main():
    a = parse_args()
    c = make_client(a)
    done = threading.Event()
    state = {"connected_once": False, "received": 0, "infos": []}

    def on_connect(client, userdata, flags, rc, properties=None):
        print(f"connected: {rc} session present {flags.get('session present')}", flush=True)
        if state["connected_once"]:
            return  # a reconnect: resending is the library's business
        state["connected_once"] = True
        if a.mode == "sub":
            client.subscribe(a.topic, a.qos)
            return
        for n in range(a.count):
            payload = a.message if a.count == 1 else f"{a.message}{n + 1}"
            state["infos"].append(client.publish(a.topic, payload, a.qos, a.retain))
        threading.Thread(target=wait_published, daemon=True).start()

    def wait_published():
        for info in state["infos"]:
            info.wait_for_publish()
        print(f"published {len(state['infos'])}", flush=True)
        done.set()

    def on_message(client, userdata, msg):
        print(f"received {msg.topic} qos {msg.qos}: {msg.payload!r}", flush=True)
        if msg.qos == 0:
            message_complete()

    # A QoS 1/2 message is complete once its last acknowledgement goes out: stopping at
    # on_message would put our DISCONNECT before the library's PUBACK or PUBCOMP.  The
    # library logs each acknowledgement on its loop thread just before queueing it there,
    # ahead of the DISCONNECT the main thread queues once woken.
    def on_log(client, userdata, level, text):
        if text.startswith(("Sending PUBACK", "Sending PUBCOMP")):
            message_complete()

    def message_complete():
        state["received"] += 1
        if a.count and state["received"] >= a.count:
            done.set()

    def on_disconnect(client, userdata, rc, properties=None):
        print(f"disconnected: {rc}", flush=True)

    c.on_connect = on_connect
    c.on_message = on_message
    c.on_disconnect = on_disconnect
    if a.mode == "sub":
        c.on_log = on_log
    connect(c, a)
    c.loop_start()
    ok = done.wait(a.timeout if a.count else None)
    c.disconnect()
    c.loop_stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The Java consumer (kafka-clients 4.x, classic group protocol at the highest versions:
JoinGroup v9, SyncGroup v5, OffsetCommit/OffsetFetch v9, batched FindCoordinator).

The Java program is written to the test's temporary directory and run with `java` (single-file
source launch) against the jars of the local Maven repository; skipped where they are absent
(see test_clients_java.py for how to fetch them).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_clients_java import CLASSPATH
from tests.integration.test_groups_helpers import create_topic, produce
from tests.support.broker import BrokerProcess

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or CLASSPATH is None,
    reason="java or kafka-clients 4.x jars (local Maven repository) missing",
)

JAVA = r"""
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public class GroupCheck {
    static KafkaConsumer<String, String> consumer(String bs, String group, String instance) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bs);
        p.put("group.id", group);
        p.put("auto.offset.reset", "earliest");
        p.put("enable.auto.commit", "false");
        p.put("session.timeout.ms", "10000");
        p.put("heartbeat.interval.ms", "300");
        p.put("max.poll.interval.ms", "20000");
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        if (instance != null) p.put("group.instance.id", instance);
        return new KafkaConsumer<>(p);
    }

    static Set<Integer> parts(KafkaConsumer<?, ?> c) {
        Set<Integer> s = new TreeSet<>();
        for (TopicPartition tp : c.assignment()) s.add(tp.partition());
        return s;
    }

    static long positions(KafkaConsumer<?, ?> c) {
        long sum = 0;
        for (TopicPartition tp : c.assignment()) sum += c.position(tp);
        return sum;
    }

    public static void main(String[] args) throws Exception {
        String bs = args[0], topic = args[1], group = args[2];
        int expected = Integer.parseInt(args[3]);
        long deadline = System.currentTimeMillis() + 60000;
        KafkaConsumer<String, String> a = consumer(bs, group, null), b = consumer(bs, group, null);
        a.subscribe(List.of(topic));
        b.subscribe(List.of(topic));
        Set<String> seen = new TreeSet<>();
        int total = 0;
        // until the split is 2/2 and both have read their partitions to the end (a may have
        // read everything alone before b joined; b then reads its two again)
        while ((parts(a).size() != 2 || parts(b).size() != 2 || seen.size() < expected
                || positions(a) + positions(b) < expected)
                && System.currentTimeMillis() < deadline) {
            for (KafkaConsumer<String, String> c : List.of(a, b)) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(50))) {
                    seen.add(r.value());
                    total++;
                }
            }
        }
        System.out.println("split=" + parts(a).size() + "," + parts(b).size());
        Set<Integer> all = new TreeSet<>(parts(a));
        all.addAll(parts(b));
        System.out.println("union=" + all);
        System.out.println("distinct=" + seen.size());
        a.commitSync();
        b.commitSync();
        a.close();
        b.close();

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bs))) {
            Map<TopicPartition, OffsetAndMetadata> offs =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            long sum = 0;
            for (OffsetAndMetadata om : offs.values()) sum += om.offset();
            System.out.println("committed.sum=" + sum);
            ConsumerGroupDescription d =
                admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            System.out.println("state=" + d.groupState());
            admin.alterConsumerGroupOffsets(group,
                Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(1))).all().get();
            long p0 = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                .get(new TopicPartition(topic, 0)).offset();
            System.out.println("altered.p0=" + p0);
        }

        // static members: the one that restarts gets its partitions back without a rebalance
        String sg = group + "-static";
        KafkaConsumer<String, String> s1 = consumer(bs, sg, "one"), s2 = consumer(bs, sg, "two");
        final int[] revokes = {0};
        s1.subscribe(List.of(topic));
        s2.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            public void onPartitionsRevoked(Collection<TopicPartition> p) { if (!p.isEmpty()) revokes[0]++; }
            public void onPartitionsAssigned(Collection<TopicPartition> p) {}
        });
        while ((parts(s1).size() != 2 || parts(s2).size() != 2) && System.currentTimeMillis() < deadline) {
            s1.poll(Duration.ofMillis(50));
            s2.poll(Duration.ofMillis(50));
        }
        Set<Integer> mine = parts(s1), theirs = parts(s2);
        revokes[0] = 0;
        s1.close();
        KafkaConsumer<String, String> again = consumer(bs, sg, "one");
        again.subscribe(List.of(topic));
        while (!parts(again).equals(mine) && System.currentTimeMillis() < deadline) {
            again.poll(Duration.ofMillis(50));
            s2.poll(Duration.ofMillis(50));
        }
        for (int i = 0; i < 10; i++) { again.poll(Duration.ofMillis(50)); s2.poll(Duration.ofMillis(50)); }
        System.out.println("static.same=" + parts(again).equals(mine) + "," + parts(s2).equals(theirs));
        System.out.println("static.revokes=" + revokes[0]);
        again.close();
        s2.close();
    }
}
"""


def test_java_consumer_group(
    broker: BrokerProcess, topic_name: str, group_name: str, tmp_path: Path
) -> None:
    create_topic(broker.bootstrap, topic_name, 4)
    produce(broker.bootstrap, topic_name, 4, 40)
    src = tmp_path / "GroupCheck.java"
    src.write_text(JAVA)
    proc = subprocess.run(
        ["java", "-cp", CLASSPATH, str(src), broker.bootstrap, topic_name, group_name, "40"],
        capture_output=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    found = dict(line.split("=", 1) for line in proc.stdout.decode().splitlines() if "=" in line)
    assert found["split"] == "2,2"
    assert found["union"] == "[0, 1, 2, 3]"
    assert found["distinct"] == "40"
    assert found["committed.sum"] == "40"
    assert found["state"] == "Empty"
    assert found["altered.p0"] == "1"
    assert found["static.same"] == "true,true"
    assert found["static.revokes"] == "0"

// The Java client (org.apache.kafka:kafka-clients 4.x) against a broker: admin, an
// idempotent acks=all producer, an assigned consumer. Prints one "key=value" line per
// finding; the Python test (tests/integration/test_clients_java.py) checks them.
// usage: java -cp <kafka-clients and deps> JavaClientCheck.java <bootstrap> <topic>

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class JavaClientCheck {
    static void out(String k, Object v) { System.out.println(k + "=" + v); }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1];
        Properties ap = new Properties();
        ap.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1)
                .configs(Map.of("retention.ms", "3600000")))).all().get();
            out("cluster.nodes", admin.describeCluster().nodes().get().size());
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            out("partitions", d.partitions().size());
            out("topic.id.zero", d.topicId().getMostSignificantBits() == 0 && d.topicId().getLeastSignificantBits() == 0);
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            out("retention.ms", admin.describeConfigs(List.of(res)).all().get().get(res).get("retention.ms").value());
            admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(
                new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET)))).all().get();
            out("retention.ms.after", admin.describeConfigs(List.of(res)).all().get().get(res).get("retention.ms").value());
            admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(4))).all().get();
            out("partitions.after", admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());
            try {
                admin.createTopics(List.of(new NewTopic(topic + "-rf", 1, (short) 3))).all().get();
                out("rf3", "created");
            } catch (ExecutionException e) {
                out("rf3", e.getCause().getClass().getSimpleName());
            }
        }
        Properties pp = new Properties();
        pp.put("bootstrap.servers", bootstrap);
        pp.put("acks", "all");
        pp.put("max.request.size", "4000000");
        pp.put("key.serializer", ByteArraySerializer.class.getName());
        pp.put("value.serializer", ByteArraySerializer.class.getName());
        int sent = 0;
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp)) {
            for (int i = 0; i < 40; i++) {
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, ("key-" + (i % 8)).getBytes(StandardCharsets.UTF_8),
                    ("value-" + i).getBytes(StandardCharsets.UTF_8));
                r.headers().add("h", ("x" + i).getBytes(StandardCharsets.UTF_8));
                RecordMetadata md = p.send(r).get();
                out("sent.key-" + (i % 8), md.partition());
                sent++;
            }
            p.send(new ProducerRecord<>(topic, "tomb".getBytes(StandardCharsets.UTF_8), null)).get();
            p.send(new ProducerRecord<>(topic, 0, null, "".getBytes(StandardCharsets.UTF_8))).get();
            p.send(new ProducerRecord<>(topic, 1, "big".getBytes(StandardCharsets.UTF_8), new byte[1_000_000])).get();
            sent += 3;
            try {
                p.send(new ProducerRecord<>(topic, 2, "huge".getBytes(StandardCharsets.UTF_8), new byte[1_500_000])).get();
                out("too.big", "accepted");
            } catch (ExecutionException e) {
                out("too.big", e.getCause() instanceof RecordTooLargeException ? "RecordTooLargeException" : e.getCause().toString());
            }
        }
        Properties cp = new Properties();
        cp.put("bootstrap.servers", bootstrap);
        cp.put("key.deserializer", ByteArrayDeserializer.class.getName());
        cp.put("value.deserializer", ByteArrayDeserializer.class.getName());
        cp.put("max.partition.fetch.bytes", "4000000");
        int got = 0, tomb = 0, empty = 0, big = 0, headers = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < 4; i++) tps.add(new TopicPartition(topic, i));
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + 30000;
            Map<Integer, Long> next = new HashMap<>();
            boolean ordered = true;
            while (got < sent && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    got++;
                    long want = next.getOrDefault(r.partition(), 0L);
                    if (r.offset() != want) ordered = false;
                    next.put(r.partition(), r.offset() + 1);
                    if (r.value() == null) tomb++;
                    else if (r.value().length == 0) empty++;
                    else if (r.value().length == 1_000_000) big++;
                    for (Header h : r.headers()) if (h.key().equals("h")) headers++;
                }
            }
            out("consumed", got);
            out("ordered", ordered);
            out("tombstones", tomb);
            out("empty", empty);
            out("big", big);
            out("headers", headers);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long total = 0;
            for (long v : end.values()) total += v;
            out("end.total", total);
            Map<TopicPartition, OffsetAndTimestamp> byTime = c.offsetsForTimes(Map.of(tps.get(0), 0L));
            out("by.time.p0", byTime.get(tps.get(0)) == null ? -1 : byTime.get(tps.get(0)).offset());
        }
        try (Admin admin = Admin.create(ap)) {
            admin.deleteTopics(List.of(topic)).all().get();
            out("deleted", !admin.listTopics().names().get().contains(topic));
        }
    }
}

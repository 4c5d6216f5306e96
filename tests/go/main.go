// franz-go (github.com/twmb/franz-go) against a broker: admin, produce, consume.
// Prints one "key=value" line per finding; tests/integration/test_clients_franz_go.py
// checks them. usage: go run . <bootstrap> <topic>
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func out(k string, v any) { fmt.Printf("%s=%v\n", k, v) }

func main() {
	bootstrap, topic := os.Args[1], os.Args[2]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchMaxBytes(4000000), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	created, err := adm.CreateTopic(ctx, 3, 1, map[string]*string{"retention.ms": kadm.StringPtr("3600000")}, topic)
	if err != nil || created.Err != nil {
		panic(fmt.Sprint(err, created.Err))
	}
	out("created", created.Topic)
	details, err := adm.ListTopics(ctx, topic)
	if err != nil {
		panic(err)
	}
	out("partitions", len(details[topic].Partitions))
	out("topic.id.zero", details[topic].ID == [16]byte{})
	rc, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		panic(err)
	}
	for _, c := range rc[0].Configs {
		if c.Key == "retention.ms" && c.Value != nil {
			out("retention.ms", *c.Value)
		}
	}
	bad, _ := adm.CreateTopic(ctx, 1, 3, nil, topic+"-rf")
	out("rf3", bad.Err != nil && strings.Contains(bad.Err.Error(), "INVALID_REPLICATION_FACTOR"))

	for i := 0; i < 30; i++ {
		key := fmt.Sprintf("key-%d", i%6)
		r := &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(fmt.Sprintf("value-%d", i)),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte(fmt.Sprintf("x%d", i))}}}
		res := cl.ProduceSync(ctx, r)
		if err := res.FirstErr(); err != nil {
			panic(err)
		}
		out("sent."+key, res[0].Record.Partition)
	}
	extra := []*kgo.Record{
		{Topic: topic, Key: []byte("tomb"), Value: nil},
		{Topic: topic, Key: []byte("empty"), Value: []byte{}},
		{Topic: topic, Key: []byte("big"), Value: make([]byte, 1000000)},
	}
	if err := cl.ProduceSync(ctx, extra...).FirstErr(); err != nil {
		panic(err)
	}
	huge := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte("huge"), Value: make([]byte, 1500000)})
	out("too.big", huge.FirstErr() != nil)

	consumer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		panic(err)
	}
	defer consumer.Close()
	got, tomb, empty, big, headers := 0, 0, 0, 0, 0
	next := map[int32]int64{}
	ordered := true
	for got < 33 {
		fetches := consumer.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		fetches.EachError(func(t string, p int32, err error) { out("fetch.error", err) })
		fetches.EachRecord(func(r *kgo.Record) {
			got++
			if r.Offset != next[r.Partition] {
				ordered = false
			}
			next[r.Partition] = r.Offset + 1
			switch {
			case r.Value == nil:
				tomb++
			case len(r.Value) == 0:
				empty++
			case len(r.Value) == 1000000:
				big++
			}
			for _, h := range r.Headers {
				if h.Key == "h" {
					headers++
				}
			}
		})
	}
	out("consumed", got)
	out("ordered", ordered)
	out("tombstones", tomb)
	out("empty", empty)
	out("big", big)
	out("headers", headers)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		panic(err)
	}
	total := int64(0)
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	out("end.total", total)
	del, err := adm.DeleteTopics(ctx, topic)
	if err != nil {
		panic(err)
	}
	out("deleted", del[topic].Err == nil)
}

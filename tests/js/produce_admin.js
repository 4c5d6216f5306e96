// kafkajs 2.2.4 against a broker: admin calls, then produce; prints one JSON object.
// usage: node produce_admin.js <bootstrap> <topic> <acks>
'use strict'
const { Kafka, logLevel } = require('kafkajs')

async function main () {
  const [bootstrap, topic, acksArg] = process.argv.slice(2)
  const acks = parseInt(acksArg, 10)
  const kafka = new Kafka({ clientId: 'moldau-test', brokers: [bootstrap], logLevel: logLevel.ERROR })
  const admin = kafka.admin()
  await admin.connect()
  const out = {}
  out.created = await admin.createTopics({
    topics: [{ topic, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    waitForLeaders: true
  })
  await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })
  const md = await admin.fetchTopicMetadata({ topics: [topic] })
  out.partitions = md.topics[0].partitions.length
  const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: false })
  const entries = cfg.resources[0].configEntries
  out.retention = entries.find(e => e.configName === 'retention.ms').configValue
  await admin.alterConfigs({ resources: [{ type: 2, name: topic, configEntries: [{ name: 'retention.ms', value: '7200000' }] }] })
  const cfg2 = await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: false })
  out.retention2 = cfg2.resources[0].configEntries.find(e => e.configName === 'retention.ms').configValue

  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const messages = []
  for (let i = 0; i < 30; i++) {
    messages.push({ key: `key-${i % 6}`, value: `value-${i}`, headers: { h: `x${i}` }, timestamp: String(1700000000000 + i) })
  }
  messages.push({ key: null, value: 'no-key', partition: 0 })
  messages.push({ key: 'tomb', value: null })
  messages.push({ key: 'empty', value: '' })
  out.sent = await producer.send({ topic, acks, messages })
  out.big = await producer.send({ topic, acks: acks === 0 ? 1 : acks, messages: [{ key: 'big', value: Buffer.alloc(1000000, 98) }] })
  try {
    await producer.send({ topic, acks: 1, messages: [{ key: 'too-big', value: Buffer.alloc(1100000, 99) }] })
    out.tooBig = 'accepted'
  } catch (e) {
    out.tooBig = e.type || e.name
  }
  await producer.disconnect()
  out.offsets = await admin.fetchTopicOffsets(topic)
  out.byTime = await admin.fetchTopicOffsetsByTimestamp(topic, 1700000000010)
  await admin.disconnect()
  process.stdout.write(JSON.stringify(out))
}

main().catch(e => { console.error(e); process.exit(1) })

// Consume n messages with a kafkajs group consumer (needs the group APIs); prints JSON rows.
// usage: node consume_group.js <bootstrap> <topic> <group> <n>
'use strict'
const { Kafka, logLevel } = require('kafkajs')

async function main () {
  const [bootstrap, topic, group, nArg] = process.argv.slice(2)
  const n = parseInt(nArg, 10)
  const kafka = new Kafka({ clientId: 'moldau-test', brokers: [bootstrap], logLevel: logLevel.ERROR })
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const rows = []
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${rows.length} of ${n} messages`)), 30000)
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        rows.push({
          partition,
          offset: message.offset,
          key: message.key === null ? null : message.key.toString(),
          value: message.value === null ? null : message.value.length > 100 ? `len:${message.value.length}` : message.value.toString(),
          headers: Object.fromEntries(Object.entries(message.headers || {}).map(([k, v]) => [k, v.toString()]))
        })
        if (rows.length >= n) { clearTimeout(timer); resolve() }
      }
    }).catch(reject)
  })
  await consumer.disconnect()
  process.stdout.write(JSON.stringify(rows))
}

main().catch(e => { console.error(e); process.exit(1) })

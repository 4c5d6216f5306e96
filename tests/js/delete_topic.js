// usage: node delete_topic.js <bootstrap> <topic>; prints the topic list after deletion (JSON)
'use strict'
const { Kafka, logLevel } = require('kafkajs')

async function main () {
  const [bootstrap, topic] = process.argv.slice(2)
  const kafka = new Kafka({ clientId: 'moldau-test', brokers: [bootstrap], logLevel: logLevel.ERROR })
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({ topics: [topic] })
  const topics = await admin.listTopics()
  await admin.disconnect()
  process.stdout.write(JSON.stringify(topics))
}

main().catch(e => { console.error(e); process.exit(1) })

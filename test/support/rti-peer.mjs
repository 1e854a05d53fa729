// A second RTI Connector process as a DDS peer of the hub's gateway (loopback-only profile, XCDR2).
// node rti-peer.mjs <domain> write <topic> <color> <count>  → waits for a matched reader, writes, waits for acks
// node rti-peer.mjs <domain> read <topic> <count>           → prints "ready", then one JSON line per sample
// node rti-peer.mjs <domain> dispose <topic> <color>        → prints "ready", waits for a matched reader, then writes one sample
//                                                             and disposes its instance (key serialized with the dispose),
//                                                             again every 500 ms until killed
import { createRequire } from 'node:module';

const rti = createRequire(import.meta.url)('rticonnextdds-connector');
const [domain, mode, topic, a, b] = process.argv.slice(2);
const xml = `<dds>
<qos_library name="Peer"><qos_profile name="Loopback">
  <domain_participant_qos>
    <transport_builtin><mask>UDPv4</mask></transport_builtin>
    <discovery><initial_peers><element>20@builtin.udpv4://127.0.0.1</element></initial_peers><multicast_receive_addresses/></discovery>
    <property><value>
      <element><name>dds.transport.UDPv4.builtin.parent.allow_interfaces</name><value>lo</value></element>
      <element><name>dds.transport.UDPv4.builtin.multicast_enabled</name><value>0</value></element>
    </value></property>
  </domain_participant_qos>
  <datawriter_qos><representation><value><element>XCDR2_DATA_REPRESENTATION</element></value></representation>
    <reliability><kind>RELIABLE_RELIABILITY_QOS</kind></reliability><history><kind>KEEP_ALL_HISTORY_QOS</kind></history>
    <protocol><serialize_key_with_dispose>true</serialize_key_with_dispose></protocol></datawriter_qos>
  <datareader_qos><representation><value><element>XCDR2_DATA_REPRESENTATION</element></value></representation>
    <reliability><kind>RELIABLE_RELIABILITY_QOS</kind></reliability><history><kind>KEEP_ALL_HISTORY_QOS</kind></history></datareader_qos>
</qos_profile></qos_library>
<types><struct name="ShapeType" extensibility="appendable">
  <member name="color" type="string" stringMaxLength="128" key="true"/>
  <member name="x" type="int32"/><member name="y" type="int32"/><member name="shapesize" type="int32"/>
</struct></types>
<domain_library name="D"><domain name="D" domain_id="${Number(domain)}">
  <register_type name="ShapeType" type_ref="ShapeType"/><topic name="${topic}" register_type_ref="ShapeType"/>
</domain></domain_library>
<domain_participant_library name="P">
  <!-- one participant per role: a writer next to its own reader would match itself and need nobody else -->
  <domain_participant name="Writer" domain_ref="D::D">
    <domain_participant_qos base_name="Peer::Loopback"/>
    <publisher name="pub"><data_writer name="w" topic_ref="${topic}"><datawriter_qos base_name="Peer::Loopback"/></data_writer></publisher>
  </domain_participant>
  <domain_participant name="Reader" domain_ref="D::D">
    <domain_participant_qos base_name="Peer::Loopback"/>
    <subscriber name="sub"><data_reader name="r" topic_ref="${topic}"><datareader_qos base_name="Peer::Loopback"/></data_reader></subscriber>
  </domain_participant>
</domain_participant_library>
</dds>`;

(async () => {
  const c = new rti.Connector(mode === 'read' ? 'P::Reader' : 'P::Writer', `str://"${xml}"`);
  if (mode === 'dispose') {
    const out = c.getOutput('pub::w');
    console.log('ready');
    await out.waitForSubscriptions(60000);
    console.log('matched');
    // again every 500 ms until killed: a volatile reader that matches us after a write never sees that write
    for (;;) {
      out.instance.setFromJson({ color: a, x: 1 });
      out.write();
      out.clearMembers();
      out.instance.setFromJson({ color: a });
      out.write({ action: 'dispose' });
      await out.wait(60000);
      console.log('done');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } else if (mode === 'write') {
    const out = c.getOutput('pub::w');
    await out.waitForSubscriptions(60000);
    console.log('matched');
    for (let i = 0; i < Number(b); i++) {
      out.instance.setFromJson({ color: a, x: i, y: 2 * i, shapesize: 40 });
      out.write();
    }
    await out.wait(60000);
    console.log('done');
  } else {
    const input = c.getInput('sub::r');
    console.log('ready');
    let seen = 0;
    while (seen < Number(a)) {
      await input.wait(60000);
      input.take();
      for (const s of input.samples.validDataIter) {
        console.log(JSON.stringify(s.getJson()));
        seen++;
      }
    }
  }
  await c.close();
})().catch((err) => {
  console.error(String(err));
  process.exit(2);
});

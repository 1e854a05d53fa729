/**
 * Builds the RTI Connector's XML application file (pure) from the instance config and the loaded types: a
 * QoS library (the built-in loopback-only profile unless the config names its own file), the types, one
 * domain with every topic registered, and one participant with a subscriber+reader per uplink topic and a
 * publisher+writer per downlink topic (partitions are publisher/subscriber QoS, DDS 1.4 §2.2.3.13).
 */
import { xmlEscape } from './idl/xml-types.js';
import type { DdsConfig, DdsTopicConfig } from './schema.js';
import { isWildcard, wildcardRegExp, type WildcardEntry } from './wildcard.js';

export const PARTICIPANT = 'ProtohubParticipants::Gateway';

/**
 * Loopback only (docs/gateways/dds.md): UDPv4 on `lo`, no multicast, unicast discovery to 127.0.0.1 for
 * participant indices 0..20, and XCDR2 data representation, which Cyclone DDS 0.10 requires for appendable and
 * mutable types (Connext defaults to XCDR1: "incompatible data representation").
 */
export const LOOPBACK_QOS_LIBRARY = `<qos_library name="ProtohubDds">
  <qos_profile name="Loopback">
    <domain_participant_qos>
      <transport_builtin><mask>UDPv4</mask></transport_builtin>
      <discovery>
        <initial_peers><element>20@builtin.udpv4://127.0.0.1</element></initial_peers>
        <multicast_receive_addresses/>
      </discovery>
      <!-- a peer on ephemeral ports (Cyclone with ParticipantIndex none) hears from us only at our next
           liveliness assertion (30 s by default): assert every second on loopback -->
      <discovery_config>
        <participant_liveliness_assert_period><sec>1</sec><nanosec>0</nanosec></participant_liveliness_assert_period>
        <participant_liveliness_lease_duration><sec>10</sec><nanosec>0</nanosec></participant_liveliness_lease_duration>
      </discovery_config>
      <property><value>
        <element><name>dds.transport.UDPv4.builtin.parent.allow_interfaces</name><value>lo</value></element>
        <element><name>dds.transport.UDPv4.builtin.multicast_enabled</name><value>0</value></element>
        <element><name>dds.transport.UDPv4.builtin.ignore_loopback_interface</name><value>0</value></element>
        <!-- bursts of small samples overflow the default receive buffer: every lost packet costs a repair round -->
        <element><name>dds.transport.UDPv4.builtin.recv_socket_buffer_size</name><value>2097152</value></element>
      </value></property>
      <participant_name><name>protohub</name></participant_name>
    </domain_participant_qos>
    <datawriter_qos>
      <representation><value><element>XCDR2_DATA_REPRESENTATION</element></value></representation>
      <!-- a dispose carries the serialized key, not only its MD5 key hash, which Cyclone cannot turn back into a key -->
      <protocol><serialize_key_with_dispose>true</serialize_key_with_dispose></protocol>
    </datawriter_qos>
    <!-- readers accept both: Cyclone writes final types (ROS 2 messages) in XCDR1, appendable/mutable in XCDR2 -->
    <datareader_qos>
      <representation><value>
        <element>XCDR2_DATA_REPRESENTATION</element><element>XCDR_DATA_REPRESENTATION</element>
      </value></representation>
      <!-- answer heartbeats at once (default: up to 0.5 s later), or a fast reliable writer stalls on a full cache -->
      <protocol><rtps_reliable_reader>
        <min_heartbeat_response_delay><sec>0</sec><nanosec>0</nanosec></min_heartbeat_response_delay>
        <max_heartbeat_response_delay><sec>0</sec><nanosec>0</nanosec></max_heartbeat_response_delay>
      </rtps_reliable_reader></protocol>
    </datareader_qos>
  </qos_profile>
</qos_library>`;

export interface Endpoint {
  readonly topic: string;
  readonly config: DdsTopicConfig;
  /** Connector name of the reader ("sub_3::reader_3") or writer ("pub_3::writer_3"). */
  readonly name: string;
}

/** A wildcard topic entry: readers are made at run time in `subscriber` with `readerProfile` (discovery.ts). */
export interface WildcardPlan extends WildcardEntry {
  readonly config: DdsTopicConfig;
  readonly subscriber: string;
  readonly readerProfile: string;
}

export interface ConnectorPlan {
  readonly xml: string;
  readonly readers: Endpoint[];
  readonly writers: Endpoint[];
  readonly wildcards: WildcardPlan[];
}

/**
 * `typesXml` is a complete `<types>…</types>` element; `qosLibraryXml` the user's `<qos_library>`s, if any;
 * `participantName` names the participant so native code can find it (needed with wildcard topics only).
 */
export function connectorPlan(
  config: DdsConfig,
  typesXml: string,
  qosLibraryXml?: string,
  participantName = 'protohub',
): ConnectorPlan {
  const readers: Endpoint[] = [];
  const writers: Endpoint[] = [];
  const wildcards: WildcardPlan[] = [];
  const wildcardProfiles: string[] = [];
  const typeHolders: string[] = [];
  const base = xmlEscape(config.qos_profile);
  const registered = new Set<string>();
  // Bound what one take returns, so one busy topic cannot hold the event loop for thousands of samples at once
  // (each sample costs tens of µs in the Connector: see docs/gateways/dds.md, Performance).
  const takeLimit = `<reader_resource_limits><max_samples_per_read>${config.max_samples_per_take}</max_samples_per_read></reader_resource_limits>`;
  const domain: string[] = [];
  const participant: string[] = [];
  Object.entries(config.topics).forEach(([topic, t], i) => {
    if (!registered.has(t.type)) {
      registered.add(t.type);
      domain.push(`<register_type name="${xmlEscape(t.type)}" type_ref="${xmlEscape(t.type)}"/>`);
    }
    const partition = t.partitions.length
      ? `<partition><name>${t.partitions.map((p) => `<element>${xmlEscape(p)}</element>`).join('')}</name></partition>`
      : '';
    const qos = endpointQos(t);
    if (isWildcard(topic)) {
      // The participant registers a type only for a topic an entity uses: a reader that is never enabled (so
      // never announced) on a placeholder topic registers it for the readers made at run time.
      const holder = `protohub.type.${i}`;
      domain.push(`<topic name="${holder}" register_type_ref="${xmlEscape(t.type)}"/>`);
      typeHolders.push(`  <data_reader name="type_${i}" topic_ref="${holder}"/>`);
      participant.push(`<subscriber name="wsub_${i}"><subscriber_qos>${partition}</subscriber_qos></subscriber>`);
      wildcardProfiles.push(
        `<qos_profile name="reader_${i}" base_name="${base}"><datareader_qos>${qos}</datareader_qos></qos_profile>`,
      );
      wildcards.push({
        pattern: topic,
        type: t.type,
        regexp: wildcardRegExp(topic),
        config: t,
        subscriber: `wsub_${i}`,
        readerProfile: `ProtohubWildcards::reader_${i}`,
      });
      return;
    }
    domain.push(`<topic name="${xmlEscape(topic)}" register_type_ref="${xmlEscape(t.type)}"/>`);
    if (t.direction !== 'downlink') {
      readers.push({ topic, config: t, name: `sub_${i}::reader_${i}` });
      participant.push(
        `<subscriber name="sub_${i}"><subscriber_qos>${partition}</subscriber_qos>`,
        `  <data_reader name="reader_${i}" topic_ref="${xmlEscape(topic)}"><datareader_qos base_name="${base}">${qos}${takeLimit}</datareader_qos></data_reader>`,
        '</subscriber>',
      );
    }
    if (t.direction !== 'uplink') {
      writers.push({ topic, config: t, name: `pub_${i}::writer_${i}` });
      participant.push(
        `<publisher name="pub_${i}"><publisher_qos>${partition}</publisher_qos>`,
        `  <data_writer name="writer_${i}" topic_ref="${xmlEscape(topic)}"><datawriter_qos base_name="${base}">${qos}</datawriter_qos></data_writer>`,
        '</publisher>',
      );
    }
  });
  if (typeHolders.length) {
    participant.push(
      '<subscriber name="protohub_types"><subscriber_qos><entity_factory>',
      '<autoenable_created_entities>false</autoenable_created_entities></entity_factory></subscriber_qos>',
      ...typeHolders,
      '</subscriber>',
    );
  }
  const participantQos = wildcards.length
    ? `<domain_participant_qos base_name="${base}"><participant_name><name>${xmlEscape(participantName)}</name></participant_name></domain_participant_qos>`
    : `<domain_participant_qos base_name="${base}"/>`;
  const xml = [
    '<dds>',
    qosLibraryXml ?? LOOPBACK_QOS_LIBRARY,
    wildcardProfiles.length
      ? `<qos_library name="ProtohubWildcards">\n${wildcardProfiles.join('\n')}\n</qos_library>`
      : '',
    typesXml,
    '<domain_library name="ProtohubDomains">',
    `<domain name="Domain" domain_id="${config.domain_id}">`,
    ...domain,
    '</domain>',
    '</domain_library>',
    '<domain_participant_library name="ProtohubParticipants">',
    `<domain_participant name="Gateway" domain_ref="ProtohubDomains::Domain">`,
    participantQos,
    ...participant,
    '</domain_participant>',
    '</domain_participant_library>',
    '</dds>',
  ].join('\n');
  return { xml, readers, writers, wildcards };
}

function endpointQos(t: DdsTopicConfig): string {
  const reliability = t.reliability === 'reliable' ? 'RELIABLE_RELIABILITY_QOS' : 'BEST_EFFORT_RELIABILITY_QOS';
  const durability = t.durability === 'transient_local' ? 'TRANSIENT_LOCAL_DURABILITY_QOS' : 'VOLATILE_DURABILITY_QOS';
  const history =
    t.history_depth === 0
      ? '<history><kind>KEEP_ALL_HISTORY_QOS</kind></history>'
      : `<history><kind>KEEP_LAST_HISTORY_QOS</kind><depth>${t.history_depth}</depth></history>`;
  return `<reliability><kind>${reliability}</kind></reliability><durability><kind>${durability}</kind></durability>${history}`;
}

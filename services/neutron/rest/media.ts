/** The Neutron API's vendor media types: `application/vnd.org.midonet.neutron.<Name>-v<n>+json`. */
export function neutronType(name: string, version = 1): string {
  return `application/vnd.org.midonet.neutron.${name}-v${version}+json`;
}

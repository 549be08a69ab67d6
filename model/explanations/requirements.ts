// The Microsoft requirements the codes relate to, each said once with where Microsoft states it
// (docs/endpoints.md gathers the sources; the seed article is the cloud sync troubleshooting page).

export const REQUIREMENT = {
  dnsChain:
    'Microsoft: the machine must resolve every record of the CNAME chain of the service names and may connect to the addresses it ends in; the records change, so no list of them is published (application proxy / cloud sync troubleshooting, "DNS name resolution").',
  dnsSuffixes:
    'Microsoft: allow the endpoints by domain suffix (*.msappproxy.net, *.servicebus.windows.net, *.microsoftonline.com, …), or, where a firewall cannot, the Azure IP ranges and service tags (cloud sync prerequisites; connector configuration).',
  port443:
    'Microsoft: outbound TCP 443 to the service endpoints ("Handling all outbound communication with the Application Proxy service"); 8080 is optional for the cloud sync agent\'s status when 443 is unavailable (cloud sync troubleshooting, "Verify the required open ports").',
  port80:
    'Microsoft: outbound TCP 80 to the CRL and OCSP hosts ("Downloading certificate revocation lists (CRLs), while validating the TLS/SSL certificate"): crl3/crl4/ocsp.digicert.com, crl.microsoft.com, oneocsp.microsoft.com, www.microsoft.com/pkiops (cloud sync troubleshooting; Azure CA details).',
  noInspection:
    'Microsoft: "Avoid all forms of inline inspection and termination on outbound TLS communications" between the connectors and the cloud service (application proxy DNS and network guidance).',
  trustedCas:
    'Microsoft: the service\'s TLS chains anchor at the roots on the Azure Certificate Authority details page (DigiCert Global Root G2/G3, DigiCert Global Root CA, Microsoft RSA/ECC Root Certificate Authority 2017); the machine must trust them and fetch their CRLs and OCSP answers.',
  tls12:
    'Microsoft: the agents talk to the service over TLS 1.2 or newer; older protocols and weak keys are refused by the service (cloud sync and connector prerequisites).',
  proxy:
    'Microsoft: the agent uses the proxy set in its .config file (<defaultProxy> in AADConnectProvisioningAgent.exe.config); the proxy must allow CONNECT to 443 and plain requests to 80, and the connector does not support proxy authentication (407 or 502 on CONNECT means the proxy blocks it).',
  clock:
    'No firewall rule: certificate, CRL and OCSP validity are judged against this machine\'s clock, so a wrong clock fails validation Microsoft requires to succeed.',
  host:
    'Microsoft: the agents install on Windows Server with .NET Framework 4.7.2 or newer and TLS 1.2 enabled, and the cloud sync agent registers through PowerShell scripts, which need the execution policy Undefined or RemoteSigned at machine and user scope (cloud sync prerequisites; troubleshooting, "Agent registration fails with security error").',
  none: 'None by itself: the code says a check reached its verdict or did not run.',
} as const;

